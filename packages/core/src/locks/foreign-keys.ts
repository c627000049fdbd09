/**
 * The foreign keys at the other end of a column or a table, from the replayed facts: a
 * statement that drops or retypes a key column drops the key, and PostgreSQL then takes
 * ACCESS EXCLUSIVE on the table at its other end too (its triggers go), measured in
 * test/check/locks-empirical.test.ts.
 */
import type { ConstraintFacts, SchemaState, TableFacts } from '../facts/model.js';

/** A foreign key between a table and another one, seen from the table. */
export interface ForeignKeyEnd {
  readonly fk: ConstraintFacts;
  /** The table at the other end. */
  readonly other: TableFacts;
  /** The key is the table's own (it references `other`); otherwise `other`'s key references the table. */
  readonly outgoing: boolean;
}

/**
 * The foreign keys between `table` and other tables, both ways, that involve one of
 * `columns` (all of them when undefined): dropping or retyping such a column drops the
 * key, which takes ACCESS EXCLUSIVE on the table at its other end.
 */
export function foreignKeysAt(state: SchemaState, table: TableFacts, columns?: readonly string[]): ForeignKeyEnd[] {
  const out: ForeignKeyEnd[] = [];
  const touches = (cols: readonly string[]) => columns === undefined || cols.some((col) => columns.includes(col));
  for (const fk of table.constraints) {
    const other = fk.contype === 'f' && fk.references ? state.tables.get(fk.references.table) : undefined;
    if (other && other.key !== table.key && touches(fk.columns)) out.push({ fk, other, outgoing: true });
  }
  for (const other of state.tables.values()) {
    if (other.key === table.key) continue;
    for (const fk of other.constraints) {
      if (fk.contype !== 'f' || fk.references?.table !== table.key) continue;
      const referenced = fk.references.columns.length ? fk.references.columns : (table.constraints.find((k) => k.contype === 'p')?.columns ?? []);
      if (touches(referenced)) out.push({ fk, other, outgoing: false });
    }
  }
  return out;
}
