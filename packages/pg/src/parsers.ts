/**
 * Parsers for PostgreSQL text output that node-postgres has no fixed OID for.
 *
 * They take the exact text the server sends (text protocol) and never see SQL NULL:
 * node-postgres passes `null` through without calling a parser.
 */

/** A parser for one value of one type, as node-postgres calls it. */
export type TextParser<T = unknown> = (text: string) => T;

/** Nested arrays: one level per array dimension. */
export type PgArray<T> = Array<T | null | PgArray<T>>;

/**
 * Parses an array literal (`{a,"b c",NULL}`, `{{1,2},{3,4}}`, `[0:1]={x,y}`) and applies
 * `element` to every non-NULL element. `delimiter` is the element type's `typdelim`
 * (`,` for almost every type; `;` for `box`).
 */
export function parseArray<T>(text: string, element: TextParser<T>, delimiter = ','): PgArray<T> {
  let pos = 0;
  // Optional dimension decoration: `[1:3]={…}` or `[0:1][1:2]={…}`.
  if (text.charCodeAt(0) === 0x5b /* [ */) {
    const eq = text.indexOf('=');
    if (eq < 0) throw new SyntaxError(`Malformed array literal: ${JSON.stringify(text)}`);
    pos = eq + 1;
  }
  const fail = (): never => {
    throw new SyntaxError(`Malformed array literal at offset ${pos}: ${JSON.stringify(text)}`);
  };
  const parseLevel = (): PgArray<T> => {
    if (text[pos] !== '{') fail();
    pos++;
    const out: PgArray<T> = [];
    if (text[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      const c = text[pos];
      if (c === '{') {
        out.push(parseLevel());
      } else if (c === '"') {
        pos++;
        let value = '';
        let start = pos;
        for (;;) {
          const q = text[pos];
          if (q === undefined) fail();
          if (q === '\\') {
            value += text.slice(start, pos) + text.charAt(pos + 1);
            pos += 2;
            start = pos;
          } else if (q === '"') {
            value += text.slice(start, pos);
            pos++;
            break;
          } else {
            pos++;
          }
        }
        // A quoted "NULL" is the string NULL, never SQL NULL.
        out.push(element(value));
      } else {
        const start = pos;
        while (pos < text.length && text[pos] !== delimiter && text[pos] !== '}') pos++;
        if (pos >= text.length) fail();
        const raw = text.slice(start, pos).trim();
        out.push(raw.toUpperCase() === 'NULL' ? null : element(raw));
      }
      const next = text[pos];
      if (next === delimiter) {
        pos++;
      } else if (next === '}') {
        pos++;
        return out;
      } else {
        fail();
      }
    }
  };
  const result = parseLevel();
  if (pos !== text.length) fail();
  return result;
}

/** An hstore value: keys are never NULL, values may be. */
export type Hstore = Record<string, string | null>;

/**
 * Parses hstore text output (`"a"=>"1", "b"=>NULL`): keys and values in double quotes with
 * `\"` and `\\` escapes, unquoted `NULL` for SQL NULL values (a quoted `"NULL"` is the
 * string). Unquoted keys and values, which hstore accepts on input, are accepted too.
 */
export function parseHstore(text: string): Hstore {
  const out: Hstore = {};
  let pos = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`Malformed hstore (${what}) at offset ${pos}: ${JSON.stringify(text)}`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text.charAt(pos))) pos++;
  };
  /** A token and whether it was quoted. */
  const token = (): [string, boolean] => {
    if (text[pos] === '"') {
      pos++;
      let value = '';
      let start = pos;
      for (;;) {
        const c = text[pos];
        if (c === undefined) fail('unterminated quote');
        if (c === '\\') {
          value += text.slice(start, pos) + text.charAt(pos + 1);
          pos += 2;
          start = pos;
        } else if (c === '"') {
          value += text.slice(start, pos);
          pos++;
          return [value, true];
        } else {
          pos++;
        }
      }
    }
    let value = '';
    while (pos < text.length) {
      const c = text.charAt(pos);
      if (c === '\\') {
        value += text.charAt(pos + 1);
        pos += 2;
      } else if (c === ',' || /\s/.test(c) || (c === '=' && text[pos + 1] === '>')) {
        break;
      } else {
        value += c;
        pos++;
      }
    }
    if (value === '') fail('empty token');
    return [value, false];
  };
  skipSpace();
  while (pos < text.length) {
    const [key] = token();
    skipSpace();
    if (text[pos] !== '=' || text[pos + 1] !== '>') fail('expected =>');
    pos += 2;
    skipSpace();
    const [value, quoted] = token();
    const v = !quoted && value.toUpperCase() === 'NULL' ? null : value;
    // `__proto__` is an ordinary hstore key; plain assignment would change the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
    skipSpace();
    if (pos < text.length) {
      if (text[pos] !== ',') fail('expected ,');
      pos++;
      skipSpace();
    }
  }
  return out;
}
