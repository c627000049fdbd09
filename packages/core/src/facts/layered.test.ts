import { describe, expect, it } from 'vitest';
import { LayeredMap, LayeredSet } from './layered.js';

describe('LayeredMap', () => {
  it('keeps every snapshot as it was while later layers change', () => {
    const base = LayeredMap.from<string, number>([['a', 1], ['b', 2]]);
    const snaps: Array<ReadonlyMap<string, number>> = [];
    let m = base;
    for (let i = 0; i < 60; i++) {
      snaps.push(m.freeze());
      m = m.derive();
      m.set(`k${i}`, i);
      if (i % 3 === 0) m.delete('a');
      if (i % 3 === 1) m.set('a', 100 + i);
    }
    expect([...snaps[0]!]).toEqual([['a', 1], ['b', 2]]);
    expect(snaps[1]!.get('a')).toBeUndefined();
    expect(snaps[2]!.get('a')).toBe(101);
    expect(snaps[59]!.size).toBe(2 + 59 - (snaps[59]!.has('a') ? 0 : 1));
    expect(m.has('k59')).toBe(true);
    expect(() => (snaps[3] as LayeredMap<string, number>).set('x', 1)).toThrow(/frozen/);
  });

  it('iterates every snapshot right, in any order, as materialized maps are kept and let go', () => {
    // Far more snapshots iterated than keep their materialized map: each is built again,
    // from the nearest layer below that still has one, and must be what a Map would hold.
    const expected: Array<Map<string, number>> = [];
    const snaps: Array<ReadonlyMap<string, number>> = [];
    const plain = new Map<string, number>([['a', 0]]);
    let m = LayeredMap.from(plain);
    for (let i = 0; i < 200; i++) {
      m = m.derive();
      m.set(`k${i % 37}`, i);
      if (i % 5 === 0) m.delete(`k${(i * 7) % 37}`);
      plain.set(`k${i % 37}`, i);
      if (i % 5 === 0) plain.delete(`k${(i * 7) % 37}`);
      snaps.push(m.freeze());
      expected.push(new Map(plain));
    }
    const order = [...snaps.keys()].sort((x, y) => ((x * 7919) % 200) - ((y * 7919) % 200));
    for (const round of [1, 2]) {
      for (const i of order) expect([...snaps[i]!].sort(), `snapshot ${i}, round ${round}`).toEqual([...expected[i]!].sort());
    }
    expect(snaps[199]!.size).toBe(expected[199]!.size);
  });

  it('iterates the merged view; a set behaves the same', () => {
    const m = LayeredMap.from<string, number>([['x', 1]]).derive();
    m.set('y', 2);
    m.delete('x');
    expect([...m.keys()]).toEqual(['y']);
    const s = LayeredSet.from(['p']).derive();
    s.add('q');
    s.delete('p');
    expect([...s]).toEqual(['q']);
    expect(s.has('p')).toBe(false);
  });
});
