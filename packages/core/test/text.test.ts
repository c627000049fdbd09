import { describe, expect, it } from 'vitest';
import { TextIndex } from '../src/index.js';

const encoder = new TextEncoder();

describe('TextIndex', () => {
  it('is the identity on ASCII text', () => {
    const index = new TextIndex('SELECT 1;\nSELECT 2;');
    expect(index.ascii).toBe(true);
    expect(index.byteOf(12)).toBe(12);
    expect(index.indexOf(12)).toBe(12);
    expect(index.indexOfCodePoint(12)).toBe(12);
    expect(index.positionOf(12)).toEqual({ line: 2, col: 3 });
  });

  it('converts bytes and indices through 2-, 3- and 4-byte characters', () => {
    // é: 2 bytes / 1 unit; €: 3 bytes / 1 unit; 😀: 4 bytes / 2 units (a surrogate pair)
    const text = "a'é€😀'b";
    const index = new TextIndex(text);
    expect(index.ascii).toBe(false);
    expect(index.byteLength).toBe(encoder.encode(text).length);
    for (let i = 0; i <= text.length; i++) {
      if (i === 5) continue; // inside the surrogate pair
      const bytes = encoder.encode(text.slice(0, i)).length;
      expect(index.byteOf(i)).toBe(bytes);
      expect(index.indexOf(bytes)).toBe(i);
    }
    // A byte inside a character rounds down to the character's start.
    expect(index.indexOf(3)).toBe(2); // second byte of é
    expect(index.indexOf(8)).toBe(4); // third byte of 😀
    // The low surrogate's index rounds down to the pair's first byte.
    expect(index.byteOf(5)).toBe(index.byteOf(4));
  });

  it('maps code point offsets (PostgreSQL error cursors) to indices', () => {
    const text = '😀😀x';
    const index = new TextIndex(text);
    expect(index.indexOfCodePoint(0)).toBe(0);
    expect(index.indexOfCodePoint(1)).toBe(2);
    expect(index.indexOfCodePoint(2)).toBe(4);
    expect(text[index.indexOfCodePoint(2)]).toBe('x');
  });

  it('counts columns in characters, not UTF-16 units', () => {
    const index = new TextIndex('-- 😀 é\nSELECT 😀x');
    const x = index.text.lastIndexOf('x');
    expect(index.positionOf(x)).toEqual({ line: 2, col: 9 });
    expect(index.positionOf(index.text.length)).toEqual({ line: 2, col: 10 });
    expect(index.positionOf(0)).toEqual({ line: 1, col: 1 });
  });

  it('treats a lone surrogate as 3 bytes', () => {
    const text = 'a\ud800b';
    const index = new TextIndex(text);
    expect(index.byteOf(2)).toBe(4);
    expect(index.indexOf(4)).toBe(2);
  });
});
