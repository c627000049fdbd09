/**
 * The history as `check` reads it: each migration parsed once; its source view (what
 * the rules read) and its unmanaged view (what `rewrite` reads), which are one parse
 * unless the migration has DO blocks or calls functions of the history; their replayed
 * facts (one replay while the two views agree); and what `rewrite` would do.
 *
 * A check can start from a checkpoint: the state its first migrations leave. `check
 * --staged` keeps one for the committed history, so a commit replays only what is new.
 */
import { emptySchemaState, sameSchema } from '../facts/draft.js';
import type { MigrationFacts, SchemaState } from '../facts/model.js';
import { replayMigration, type ReplayMigration, type ReplayOptions } from '../facts/replay.js';
import { parseSql, type ParsedSql } from '../sql/parse.js';
import type { PendingEntry } from '../zd/pending.js';
import { rewritePrepared, type MigrationRewrite } from '../zd/rewrite.js';
import { unmanagedView } from '../zd/view.js';
import type { CheckInput } from './check.js';
import { checkSource, type CheckSource, type FunctionBodies, type FunctionBody } from './source.js';

/** Where a check of a history can start: the state its first `migrations` leave. */
export interface Checkpoint {
  /** How many migrations of the history it comes after. */
  readonly migrations: number;
  /** The schema the source views replay to. */
  readonly source: SchemaState;
  /** The schema the unmanaged views replay to (the same object while they agree with the source views). */
  readonly unmanaged: SchemaState;
  /** Bodies of the functions created so far, by name. */
  readonly functions: ReadonlyMap<string, FunctionBody>;
  /** The work a managed database may have pending. */
  readonly pending: readonly PendingEntry[];
  /** One of the migrations holds prisma-zd blocks. */
  readonly afterPrismaZd: boolean;
}

export interface HistoryOptions {
  readonly defaultSchema: string;
  /** How Prisma runs each file (how long a `SET LOCAL search_path` holds). Default `unknown`. */
  readonly execution?: ReplayOptions['execution'];
  /** Start after `resume.migrations` inputs, none of them reported. */
  readonly resume?: Checkpoint;
  /** Also give the checkpoint just before the first reported input. */
  readonly checkpoint?: boolean;
}

/** One migration, read. */
export interface HistoryMigration {
  readonly input: CheckInput;
  readonly parsed: ParsedSql;
  readonly source: CheckSource;
  readonly facts: MigrationFacts;
  /** What `rewrite` would change in it (when some migration is reported). */
  readonly rewrite: MigrationRewrite | undefined;
  /** An earlier migration holds prisma-zd blocks: work may really be pending in the queue. */
  readonly afterPrismaZd: boolean;
}

export interface History {
  /** The migrations from the checkpoint resumed (or the first) on. */
  readonly migrations: readonly HistoryMigration[];
  readonly checkpoint?: Checkpoint;
}

/** Read a history. The parser must be initialised. */
export function readHistory(inputs: readonly CheckInput[], options: HistoryOptions): History {
  const { defaultSchema, resume } = options;
  const start = resume?.migrations ?? 0;
  if (start > inputs.length || inputs.slice(0, start).some((i) => i.report !== false)) {
    throw new Error(`readHistory: cannot resume after ${start} of ${inputs.length} migrations (one of them is reported)`);
  }
  const reported = new Set(inputs.filter((i) => i.report !== false).map((i) => i.name));
  const firstReported = inputs.findIndex((i) => i.report !== false);
  /** Index (in the migrations read) of the first reported one. */
  const cut = firstReported === -1 ? -1 : firstReported - start;

  const functions: FunctionBodies = new Map(resume?.functions);
  let functionsAtCut: FunctionBodies | undefined;
  const parseView = memoParse();
  const read = inputs.slice(start).map((input, j) => {
    if (j === cut && options.checkpoint) functionsAtCut = new Map(functions);
    const parsed = parseSql(input.sql);
    return { input, parsed, source: checkSource(parsed, functions, parseView) };
  });

  const views = reported.size ? read.map((m) => unmanagedView(m.parsed, parseView)) : undefined;
  const initial = emptySchemaState(defaultSchema);
  const replayed = replayViews(
    read.map((m) => ({ name: m.input.name, parsed: m.source.parsed, ...(m.source.tops ? { tops: m.source.tops } : {}), ...(m.source.frames ? { frames: m.source.frames } : {}) })),
    views?.map((v, j) => ({ name: read[j]!.input.name, parsed: v.parsed, tops: v.source })),
    { source: resume?.source ?? initial, unmanaged: resume?.unmanaged ?? initial },
    { defaultSchema, ...(options.execution ? { execution: options.execution } : {}) },
  );

  // Nothing before the first reported migration is selected: the work pending there is the checkpoint's.
  let rewrites: readonly MigrationRewrite[] = [];
  let pendingAtCut: readonly PendingEntry[] = resume?.pending ?? [];
  if (views) {
    const prepared = read.map((m, j) => ({ name: m.input.name, parsed: m.parsed, view: views[j]!, facts: replayed.unmanaged![j]! }));
    const select = (name: string) => reported.has(name);
    const before = rewritePrepared(prepared.slice(0, cut), { select, defaultSchema, pending: pendingAtCut });
    const after = rewritePrepared(prepared.slice(cut), { select, defaultSchema, pending: before.pending });
    rewrites = [...before.results, ...after.results];
    pendingAtCut = before.pending;
  }

  let afterPrismaZd = resume?.afterPrismaZd ?? false;
  let afterPrismaZdAtCut = afterPrismaZd;
  const migrations = read.map((m, j): HistoryMigration => {
    if (j === cut) afterPrismaZdAtCut = afterPrismaZd;
    const migration = { ...m, facts: replayed.source[j]!, rewrite: rewrites[j], afterPrismaZd };
    afterPrismaZd ||= m.source.statements.some((s) => s.origin === 'zd-block');
    return migration;
  });

  if (!options.checkpoint || cut === -1) return { migrations };
  const source = cut === 0 ? (resume?.source ?? initial) : replayed.source[cut - 1]!.after;
  const unmanaged = cut === 0 ? (resume?.unmanaged ?? initial) : replayed.unmanaged![cut - 1]!.after;
  return {
    migrations,
    checkpoint: {
      migrations: firstReported,
      source,
      unmanaged,
      functions: functionsAtCut ?? functions,
      pending: pendingAtCut,
      afterPrismaZd: afterPrismaZdAtCut,
    },
  };
}

/** `parseSql` remembering its results by text, for views parsed twice (the source view and the unmanaged view). */
function memoParse(): (text: string) => ParsedSql {
  const memo = new Map<string, ParsedSql>();
  return (text) => {
    let parsed = memo.get(text);
    if (!parsed) memo.set(text, (parsed = parseSql(text)));
    return parsed;
  };
}

/**
 * The facts of the source views and, when asked, of the unmanaged views. While the two
 * histories have been the same (the same parse on the same state), one replay serves
 * both.
 */
function replayViews(
  source: readonly ReplayMigration[],
  unmanaged: readonly ReplayMigration[] | undefined,
  initial: { source: SchemaState; unmanaged: SchemaState },
  options: ReplayOptions,
): { source: MigrationFacts[]; unmanaged: MigrationFacts[] | undefined } {
  const out = { source: [] as MigrationFacts[], unmanaged: unmanaged && ([] as MigrationFacts[]) };
  let sourceState = initial.source;
  let unmanagedState = initial.unmanaged;
  source.forEach((m, i) => {
    const facts = replayMigration(sourceState, m, options);
    out.source.push(facts);
    sourceState = facts.after;
    const u = unmanaged?.[i];
    if (!u) return;
    const shared = u.parsed === m.parsed && unmanagedState === facts.before;
    const uFacts = shared ? facts : replayMigration(unmanagedState, u, options);
    out.unmanaged!.push(uFacts);
    // Views that differ (a DO block that only moves data, say) mostly leave the same schema:
    // from there on, one replay serves both again.
    unmanagedState = shared || !sameSchema(uFacts.after, facts.after) ? uFacts.after : facts.after;
  });
  return out;
}
