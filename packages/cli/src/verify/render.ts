/**
 * How a verify report reads on a terminal, and as JSON. One renderer for the CLI and
 * for tests.
 */
import { isAbsolute, relative } from 'node:path';
import { paint, type Output } from '../util/output.js';
import type { VerifyReport } from './verify.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A path relative to the working directory when it is inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export function verifyLines(o: Pick<Output, 'color'>, r: VerifyReport): string[] {
  const lines: string[] = [];
  const built = r.reference.kind === 'created' ? `a throw-away database (${r.reference.where}, dropped)` : `the shadow database ${r.reference.where} (emptied)`;
  lines.push(`Verifying ${r.database} against ${shown(r.migrationsDir)}`);
  lines.push(
    `  ${plural(r.compared.length, 'migration')} ${r.prismaHistory ? 'applied there' : '(no _prisma_migrations on the database: the whole folder)'}, ` +
      `built unmanaged in ${built}; schemas compared: ${r.schemas.join(', ') || '(none)'}; ${r.managed ? 'managed by prisma-zd' : 'not managed by prisma-zd'}`,
  );
  if (r.drift.length === 0 && r.strict && r.pending.length) {
    // Exit 1: the line must not say all is well.
    lines.push(
      `${paint(o, 'red', '✗')} Not converged (--strict): the schema is what the migrations folder produces apart from ${plural(r.pending.length, 'piece')} of pending work below, which --strict counts as drift.`,
    );
  } else if (r.drift.length === 0) {
    lines.push(`${paint(o, 'green', '✓')} The database's schema is what the migrations folder produces${r.pending.length ? ', apart from the pending work below' : ''}.`);
  } else {
    lines.push(`${paint(o, 'red', '✗')} Drift: ${plural(r.drift.length, 'difference')} from what the migrations folder produces (values: folder vs database):`);
    for (const d of r.drift) lines.push(`  - ${d.message.replaceAll('\n', '\n    ')}`);
  }
  if (r.pending.length) {
    lines.push(`Pending work (${r.strict ? 'counts as drift with --strict' : 'not drift; --strict counts it'}):`);
    for (const p of r.pending) {
      lines.push(`  - ${p.message} ${paint(o, 'dim', `→ ${p.next}`)}`);
      for (const e of p.explains) lines.push(paint(o, 'dim', `      accounts for: ${e.replaceAll('\n', ' ')}`));
    }
  } else {
    lines.push('Pending work: none.');
  }
  if (r.invalidIndexes.length) {
    lines.push('Invalid indexes (not used by queries; a failed or interrupted CREATE or DROP INDEX CONCURRENTLY):');
    for (const i of r.invalidIndexes) {
      const why = i.queued ? ' (queued: `prisma-zd postponed run` rebuilds it)' : i.dropQueued ? ' (queued: `prisma-zd contract` drops it)' : '';
      lines.push(`  - ${i.index} on ${i.table}${why}`);
    }
  } else {
    lines.push('Invalid indexes: none.');
  }
  if (r.unvalidatedConstraints.length) {
    lines.push('Unvalidated constraints (NOT VALID: existing rows are not checked):');
    for (const k of r.unvalidatedConstraints) {
      const why = k.queued ? ' (queued: `prisma-zd postponed run` validates it)' : k.byMigrations ? ' (the migrations leave it NOT VALID)' : '';
      lines.push(`  - ${k.constraint} on ${k.table}${why}`);
    }
  } else {
    lines.push('Unvalidated constraints: none.');
  }
  return lines;
}

export function verifyJson(r: VerifyReport): string {
  return JSON.stringify({
    command: 'verify',
    exitCode: r.exitCode,
    equal: r.drift.length === 0,
    strict: r.strict,
    database: r.database,
    reference: r.reference,
    migrationsDir: r.migrationsDir,
    managed: r.managed,
    prismaHistory: r.prismaHistory,
    compared: r.compared,
    schemas: r.schemas,
    drift: r.drift.map(({ diff, ...d }) => ({ ...d, ...(diff ? { change: diff.change, property: diff.property ?? null } : {}) })),
    pending: r.pending,
    invalidIndexes: r.invalidIndexes,
    unvalidatedConstraints: r.unvalidatedConstraints,
  });
}
