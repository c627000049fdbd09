import { describe, expect, it } from 'vitest';
import { v8Tuning } from './v8-flags.js';

// Flags each V8 major was measured to know (`node --v8-options` of Node 20.20, 22.23, 24.21, 26.10).
const KNOWN: Record<number, readonly string[]> = {
  11: ['--liftoff-only', '--interrupt-budget'],
  12: ['--liftoff-only', '--invocation-count-for-turbofan', '--invocation-count-for-maglev'],
  13: ['--liftoff-only', '--invocation-count-for-turbofan', '--invocation-count-for-maglev', '--wasm-tiering-budget'],
  14: ['--liftoff-only', '--invocation-count-for-turbofan', '--invocation-count-for-maglev', '--wasm-tiering-budget'],
};

describe('v8Tuning', () => {
  it.each([
    ['11.3.244.8-node.38', 11],
    ['12.4.254.21-node.57', 12],
    ['13.6.233.17-node.53', 13],
    ['14.6.202.34-node.34', 14],
  ])('V8 %s: only flags that V8 knows', (version, major) => {
    const t = v8Tuning(version, []);
    for (const flag of [...t.runtime, ...t.restart]) expect(KNOWN[major]).toContain(flag.split('=')[0]);
    expect([...t.runtime, ...t.restart]).toContain('--liftoff-only');
  });

  it('V8 11 and 12 take their flags at run time; 13 and 14 on a new command line, once', () => {
    expect(v8Tuning('11.3.244.8', []).restart).toEqual([]);
    expect(v8Tuning('12.4.254.21', []).restart).toEqual([]);
    for (const v of ['13.6.233.17', '14.6.202.34']) {
      const t = v8Tuning(v, []);
      expect(t.restart[0]).toBe('--liftoff-only');
      expect(t.runtime).toEqual(['--wasm-tiering-budget=2147483647']);
      expect(v8Tuning(v, ['--inspect', ...t.restart])).toEqual({ runtime: [], restart: [] });
    }
  });

  it('a V8 not measured runs untuned (an unknown flag prints an error on every run)', () => {
    for (const v of ['10.2.154.26', '15.0.1.1', 'garbage']) expect(v8Tuning(v, [])).toEqual({ runtime: [], restart: [] });
  });
});
