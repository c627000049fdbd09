import type { Range } from './text.js';

/** Replace `range` of the original text with `text`. An insertion has `start === end`. */
export interface Edit {
  readonly range: Range;
  readonly text: string;
}

export type Severity = 'error' | 'warning' | 'info';

/** What a rule reports about one place in a migration (squawk's `Violation`). */
export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  /** What gets locked and for how long, in the user's own names. */
  readonly message: string;
  /** "Instead: …" with the exact command or SQL. */
  readonly help: string;
  readonly range: Range;
  /** Edits that fix the finding, applied together by `applyEdits`. */
  readonly fix?: readonly Edit[];
}

/** Two edits overlap; `applyEdits` never guesses which one wins. */
export class OverlappingEditsError extends Error {
  readonly first: Edit;
  readonly second: Edit;
  constructor(first: Edit, second: Edit) {
    super(
      `overlapping edits: [${first.range.start}, ${first.range.end}) and [${second.range.start}, ${second.range.end})`,
    );
    this.name = 'OverlappingEditsError';
    this.first = first;
    this.second = second;
  }
}

/**
 * Apply edits to `text`. Edits are sorted by position first (stable: two insertions
 * at the same index keep their given order); they may touch but not overlap.
 * Throws `OverlappingEditsError` on overlap and `RangeError` on a range outside the text.
 */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = edits
    .map((edit, order) => ({ edit, order }))
    .sort((a, b) => a.edit.range.start - b.edit.range.start || a.edit.range.end - b.edit.range.end || a.order - b.order)
    .map((x) => x.edit);
  let out = '';
  let cursor = 0;
  let previous: Edit | undefined;
  for (const edit of sorted) {
    const { start, end } = edit.range;
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= text.length)) {
      throw new RangeError(`edit range [${start}, ${end}) is outside the text (length ${text.length})`);
    }
    if (previous && start < cursor) throw new OverlappingEditsError(previous, edit);
    out += text.slice(cursor, start) + edit.text;
    cursor = end;
    previous = edit;
  }
  return out + text.slice(cursor);
}
