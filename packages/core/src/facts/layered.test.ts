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
