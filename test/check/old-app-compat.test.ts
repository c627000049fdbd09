/*
 * Old app compatibility, measured (I3). For each common Prisma schema change, the migration
 * Prisma writes for it (or the usual hand-written one) is rewritten by prisma-zd and applied
 * to a managed database holding data, as `prisma-zd deploy` does; then the OLD app version's
 * queries run as Prisma Client 6's Rust engine sends them (every scalar column named,
 * parameters typed as the old model's fields) — after the migration (queue pending), after
 * `postponed run`, and after `contract`. old-app-real-client.test.ts runs the same cases
 * with a real generated client on the driver-adapter path (untyped parameters) and lists
 * where it differs from this model. What fails is compared with `prisma-zd check` on the
 * original migration: a change that breaks the old app before `contract` needs a finding
 * that says old app versions break; one that breaks only after `contract` needs such a
 * finding fixed by `rewrite`; a change that breaks nothing must not have one.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../packages/core/src/index.js';
import { withConnection } from '../support/apply.js';
import {
  expectCheckAgrees,
  kindOf,
  matrixLine,
  observe,
  OLD_MODELS,
  PHASE_NO,
  q,
  ROLE_VALUES,
  ROWS,
  SCENARIOS,
  written,
  type Field,
  type Model,
  type Observed,
  type OldApp,
  type Phase,
  type ScalarType,
} from './old-app-cases.js';

// ---------------------------------------------------------------------------------------
// The old app as a model of the queries Prisma Client 6 (Rust engine) sends.

const col = (m: Model, f: Field) => `${q('public')}.${q(m.table)}.${q(f.name)}`;
const SQL_TYPE: Record<ScalarType, string> = { Int: 'int4', String: 'text', Boolean: 'bool', DateTime: 'timestamptz', Role: 'text' };
/** A parameter as Prisma's engine binds it: typed by the field (prepare_typed), an enum through a cast. */
const param = (f: Field, n: number) => (f.type === 'Role' ? `CAST($${n}::text AS ${q('public')}.${q('Role')})` : `$${n}::${SQL_TYPE[f.type]}`);

/** What Prisma Client itself rejects in a row it reads: values its schema does not know. */
function clientErrors(m: Model, rows: Array<Record<string, unknown>>): string | undefined {
  for (const row of rows) {
    for (const f of m.fields) {
      const v = row[f.name];
      if (v === null && !f.optional) return `client: Error converting field "${f.name}" of expected non-nullable type, found incompatible value of "null"`;
      if (f.type === 'Role' && v !== null && !ROLE_VALUES.includes(String(v))) return `client: Value '${String(v)}' not found in enum 'Role'`;
    }
  }
  return undefined;
}

interface OldQuery {
  readonly label: string;
  readonly text: string;
  readonly values: unknown[];
  readonly model: Model;
}

function oldQueries(phase: Phase): OldQuery[] {
  const out: OldQuery[] = [];
  for (const m of OLD_MODELS) {
    const table = `${q('public')}.${q(m.table)}`;
    const all = m.fields.map((f) => col(m, f)).join(', ');
    const id = m.fields.find((f) => f.id)!;
    const rows = ROWS[m.table]!;
    out.push({ label: `${m.table}.findMany`, text: `SELECT ${all} FROM ${table} WHERE 1=1 OFFSET $1`, values: [0], model: m });
    // create: what the client knows and the database does not fill in (optional fields left out).
    const created = m.fields.filter((f) => f.clientDefault || (!f.dbDefault && !f.optional));
    out.push({
      label: `${m.table}.create`,
      text: `INSERT INTO ${table} (${created.map((f) => q(f.name)).join(',')}) VALUES (${created.map((f, i) => param(f, i + 1)).join(',')}) RETURNING ${all}`,
      values: created.map((f) => written(m, f, phase, 'create')),
      model: m,
    });
    // upsert by a unique field, making a new row (Prisma's database upsert: one INSERT … ON CONFLICT; the real client's SQL in unique-upsert.test.ts).
    const by = m.fields.find((f) => f.name === m.upsertBy);
    if (by) {
      const age = m.fields.find((f) => f.name === 'age')!;
      const values = created.map((f) => written(m, f, phase, 'upsert'));
      const key = values[created.indexOf(by)];
      out.push({
        label: `${m.table}.upsert`,
        text:
          `INSERT INTO ${table} (${created.map((f) => q(f.name)).join(',')}) VALUES (${created.map((f, i) => param(f, i + 1)).join(',')}) ` +
          `ON CONFLICT (${q(by.name)}) DO UPDATE SET ${q(age.name)} = ${param(age, created.length + 1)} WHERE (${col(m, by)} = ${param(by, created.length + 2)} AND 1=1) RETURNING ${all}`,
        values: [...values, written(m, age, phase, 'update'), key],
        model: m,
      });
    }
    // update by id: every field the app writes (not the id, not the creation timestamp).
    const set = m.fields.filter((f) => !f.id && !(f.clientDefault === 'static' && f.type === 'DateTime'));
    out.push({
      label: `${m.table}.update`,
      text: `UPDATE ${table} SET ${set.map((f, i) => `${q(f.name)} = ${param(f, i + 1)}`).join(', ')} WHERE (${col(m, id)} = ${param(id, set.length + 1)} AND 1=1) RETURNING ${all}`,
      values: [...set.map((f) => written(m, f, phase, 'update')), rows.update],
      model: m,
    });
    // update that clears the optional fields (Prisma sends null, typed as the field).
    const optional = m.fields.filter((f) => f.optional);
    if (optional.length) {
      out.push({
        label: `${m.table}.clear`,
        text: `UPDATE ${table} SET ${optional.map((f, i) => `${q(f.name)} = ${param(f, i + 1)}`).join(', ')} WHERE (${col(m, id)} = ${param(id, optional.length + 1)} AND 1=1) RETURNING ${all}`,
        values: [...optional.map(() => null), rows.clear],
        model: m,
      });
    }
    out.push({
      label: `${m.table}.delete`,
      text: `DELETE FROM ${table} WHERE (${col(m, id)} = ${param(id, 1)} AND 1=1) RETURNING ${all}`,
      values: [rows.delete[PHASE_NO[phase]]],
      model: m,
    });
    // findMany with a filter on each scalar field; the enum with every value the old app knows.
    for (const f of m.fields) {
      if (f.id) continue;
      if (f.type === 'Role') {
        out.push({
          label: `${m.table}.where.${f.name}`,
          text: `SELECT ${all} FROM ${table} WHERE ${col(m, f)} IN (${ROLE_VALUES.map((_, i) => param(f, i + 1)).join(',')}) OFFSET $${ROLE_VALUES.length + 1}`,
          values: [...ROLE_VALUES, 0],
          model: m,
        });
        continue;
      }
      out.push({ label: `${m.table}.where.${f.name}`, text: `SELECT ${all} FROM ${table} WHERE ${col(m, f)} = ${param(f, 1)} OFFSET $2`, values: [rows.where[f.name], 0], model: m });
    }
  }
  return out;
}

/** Runs the old app's queries; returns the failures by query label. */
async function runModelApp(url: string, phase: Phase): Promise<Record<string, string>> {
  return withConnection(url, async (c) => {
    const failures: Record<string, string> = {};
    for (const query of oldQueries(phase)) {
      try {
        const r = await c.query(query.text, query.values);
        const bad = clientErrors(query.model, r.rows);
        if (bad) failures[query.label] = bad;
      } catch (e) {
        failures[query.label] = `${(e as pg.DatabaseError).code ?? ''} ${(e as Error).message}`.trim();
      }
    }
    return failures;
  });
}

/** The model opens a connection per phase. */
const openModelApp = async (url: string): Promise<OldApp> => ({ run: (phase) => runModelApp(url, phase), close: async () => {} });

const observed = new Map<string, Observed>();

beforeAll(async () => {
  await initParser();
});

afterAll(() => {
  if (observed.size === 0) return;
  const lines = SCENARIOS.filter((s) => observed.has(s.change)).map((s) => matrixLine(s, observed.get(s.change)!));
  process.stdout.write(`\nold app compatibility matrix:\n${lines.map((l) => `- ${l}`).join('\n')}\n`);
});

describe.concurrent('old app compatibility, measured against check', () => {
  it.each(SCENARIOS.map((s) => [s.change, s] as const))('%s', async (_change, s) => {
    const o = await observe(s, openModelApp);
    observed.set(s.change, o);
    const line = matrixLine(s, o);

    // What happened on the database.
    if (s.migrationFails) {
      expect(o.migrationError, line).toMatch(s.migrationFails);
    } else {
      expect(o.migrationError, line).toBeUndefined();
      const before = { ...o.migrated, ...o.postponed };
      expect(Object.keys(before).sort(), line).toEqual(Object.keys(s.breaks ?? {}).sort());
      for (const [label, error] of Object.entries(s.breaks ?? {})) expect(before[label], `${label}: ${line}`).toMatch(error);
      if (s.postponedFails) expect(o.postponedError, line).toMatch(s.postponedFails);
      else expect(o.postponedError, line).toBeUndefined();
      expect(o.contractError, line).toBeUndefined();
      const after = { ...(s.breaks ?? {}), ...(s.afterContract ?? {}) };
      expect(Object.keys(o.contracted).sort(), line).toEqual(Object.keys(after).sort());
      for (const [label, error] of Object.entries(s.afterContract ?? {})) expect(o.contracted[label], `${label}: ${line}`).toMatch(error);
    }

    // What check says about the original migration.
    expect(Object.fromEntries(o.findings.map((d) => [d.ruleId, kindOf(d)])), line).toEqual(s.findings);

    // And that the two agree.
    expectCheckAgrees(o, line);
  });
});
