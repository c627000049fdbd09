import { describe, expect, it } from 'vitest';
import { applyEdits, OverlappingEditsError } from '../src/index.js';

describe('applyEdits', () => {
  const text = 'CREATE INDEX "i" ON "t"("c");';

  it('applies edits given in any order', () => {
    const out = applyEdits(text, [
      { range: { start: 28, end: 29 }, text: '' },
      { range: { start: 0, end: 0 }, text: '-- zd\n' },
      { range: { start: 13, end: 13 }, text: 'CONCURRENTLY ' },
    ]);
    expect(out).toBe('-- zd\nCREATE INDEX CONCURRENTLY "i" ON "t"("c")');
  });

  it('keeps the given order of insertions at the same index', () => {
    const out = applyEdits('ab', [
      { range: { start: 1, end: 1 }, text: '1' },
      { range: { start: 1, end: 1 }, text: '2' },
    ]);
    expect(out).toBe('a12b');
  });

  it('allows edits that touch', () => {
    expect(applyEdits('abcd', [
      { range: { start: 0, end: 2 }, text: 'X' },
      { range: { start: 2, end: 4 }, text: 'Y' },
      { range: { start: 2, end: 2 }, text: '-' },
    ])).toBe('X-Y');
  });

  it('throws on overlapping edits', () => {
    expect(() => applyEdits('abcdef', [
      { range: { start: 0, end: 3 }, text: 'X' },
      { range: { start: 2, end: 4 }, text: 'Y' },
    ])).toThrow(OverlappingEditsError);
    expect(() => applyEdits('abcdef', [
      { range: { start: 0, end: 3 }, text: 'X' },
      { range: { start: 1, end: 1 }, text: 'Y' },
    ])).toThrow(OverlappingEditsError);
  });

  it('rejects ranges outside the text', () => {
    expect(() => applyEdits('abc', [{ range: { start: 2, end: 4 }, text: '' }])).toThrow(RangeError);
    expect(() => applyEdits('abc', [{ range: { start: 2, end: 1 }, text: '' }])).toThrow(RangeError);
  });

  it('returns the text unchanged without edits', () => {
    expect(applyEdits(text, [])).toBe(text);
  });
});
