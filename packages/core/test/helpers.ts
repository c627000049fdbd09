import { parseSql, replay } from '../src/index.js';
import type { MigrationFacts, ReplayOptions } from '../src/index.js';

/** Replay migrations given as SQL texts, named m0, m1, … */
export function replaySql(migrations: readonly string[], options?: ReplayOptions): MigrationFacts[] {
  return replay(
    migrations.map((sql, i) => ({ name: `m${i}`, parsed: parseSql(sql) })),
    options,
  );
}

/** The last migration's facts. */
export function last(facts: readonly MigrationFacts[]): MigrationFacts {
  const f = facts[facts.length - 1];
  if (!f) throw new Error('no migrations');
  return f;
}

/** Touches of one statement, rendered compactly for assertions. */
export function touches(facts: MigrationFacts, statement: number): string[] {
  return (facts.statements[statement]?.touches ?? []).map(
    (t) =>
      `${t.action} ${t.object} ${t.key}${t.change ? ` ${t.change}` : ''}${t.newKey ? ` -> ${t.newKey}` : ''}${t.implicit ? ' (implicit)' : ''}${t.createdInMigration ? ' [new]' : ''}`,
  );
}
