import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import pg from 'pg';
import { initParser, QUEUE_TABLE, quoteIdent, rewriteHistory, ZD_SCHEMA, type MigrationRewrite } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { listMigrationsFolder, refuseFolder } from '../project/migrations.js';
import { assertSafeExecution, readingOf, resolvePrismaProject } from '../project/prisma-project.js';
import { paint, type Output } from '../util/output.js';
import { redact, registerSecretsFrom } from '../util/redact.js';
import { connect } from '../db/connect.js';
import { prismaMigrationsSchema, urlSchema } from '../db/search-path.js';
import { defineCommand, projectOptions } from './command.js';

export interface RewriteRequest {
  cwd?: string;
  url?: string;
  migrations?: string;
  schema?: string;
  /** Migration directories or files to rewrite; empty: the default selection. */
  paths?: string[];
  all?: boolean;
  /** Change nothing; report what would change. */
  check?: boolean;
}

export interface RewriteResult {
  migrationsDir: string;
  /** How the migrations to rewrite were chosen. */
  selection: string;
  migrations: Array<{
    name: string;
    path: string;
    changed: boolean;
    written: boolean;
    /** Applied to the development database; undefined when that database could not be read. */
    applied?: boolean;
    checksumUpdated: boolean;
    changes: MigrationRewrite['changes'];
    notes: MigrationRewrite['notes'];
    error?: string;
    /** With `error`: the parser could not hold the file (a very large one), not bad SQL; the file is left as it is. */
    unread?: true;
  }>;
  warnings: string[];
  /**
   * The development database has prisma-zd's bookkeeping schema (`prisma-zd setup` or
   * `deploy` ran there): rewritten migrations applied there queue their work.
   */
  devDatabaseManaged: boolean;
  /**
   * Selected by the development database and nothing was: the newest migration, which
   * `prisma migrate dev` has applied (it applies what it creates), to name it.
   */
  newestApplied?: { name: string; path: string };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Migration directory names that git's HEAD has (committed ones); undefined when git has no
 * history to ask: outside a repository, or before its first commit (where every migration
 * would look new, applied ones included: I4 forbids guessing, so the database selects).
 */
function committedMigrations(dir: string): Set<string> | undefined {
  const inside = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: dir, encoding: 'utf8' });
  if (inside.status !== 0 || inside.stdout.trim() !== 'true') return undefined;
  if (spawnSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: dir }).status !== 0) return undefined;
  // -z: paths as they are (git quotes names with non-ASCII bytes otherwise, and a committed
  // "…_café" migration would look new, and be rewritten).
  const r = spawnSync('git', ['ls-tree', '-r', '-z', '--name-only', 'HEAD', '--', '.'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) return undefined;
  const names = new Set<string>();
  for (const path of r.stdout.split('\0')) {
    const m = /^(.+)\/migration\.sql$/s.exec(path);
    if (m) names.add(m[1]!.split('/').pop()!);
  }
  return names;
}

/**
 * `_prisma_migrations` of the developer's database: name → checksum; or, when it cannot be
 * read, why (the server's or the connection's own words, never the URL's password).
 */
async function appliedChecksums(url: string | undefined): Promise<{ applied?: Map<string, string>; managed?: boolean; problem?: string; schema?: string }> {
  if (!url) return {};
  let client: pg.Client | undefined;
  try {
    client = await connect(url, { applicationName: 'rewrite', connectTimeoutMs: 3000 });
    // Where Prisma keeps it: the URL's ?schema= (Prisma's own session sets its search_path to it), else where this session creates.
    const schema = await prismaMigrationsSchema(client, url);
    const table = `${quoteIdent(schema)}._prisma_migrations`;
    const exists = await client.query<{ ok: boolean; managed: boolean }>(
      `SELECT to_regclass($2) IS NOT NULL AS ok, to_regclass($1) IS NOT NULL AS managed`,
      [QUEUE_TABLE, table],
    );
    const managed = exists.rows[0]?.managed ?? false;
    if (!exists.rows[0]?.ok) return { applied: new Map(), managed, schema };
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM ${table} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    return { applied: new Map(rows.map((r) => [r.migration_name, r.checksum])), managed, schema };
  } catch (e) {
    return { problem: redact(e instanceof Error ? e.message : String(e)) };
  } finally {
    await client?.end().catch(() => {});
  }
}

export async function rewrite(req: RewriteRequest): Promise<RewriteResult> {
  const project = await resolvePrismaProject({
    ...(req.cwd === undefined ? {} : { cwd: req.cwd }),
    ...(req.url === undefined ? {} : { url: req.url }),
    ...(req.migrations === undefined ? {} : { migrations: req.migrations }),
    ...(req.schema === undefined ? {} : { schema: req.schema }),
  });
  registerSecretsFrom(project.url);
  assertSafeExecution(project);
  const listing = listMigrationsFolder(project.migrationsDir);
  // Another database's migrations are not rewritten; a directory Prisma would stop on is said.
  refuseFolder({ ...listing, refusals: listing.refusals.filter((r) => r.code === 'ZD_PROVIDER') }, 'run `prisma-zd rewrite` again');
  const history = listing.files;
  const warnings: string[] = listing.refusals.map((r) => `${r.message} ${r.hint}`);
  const cwd = resolve(req.cwd ?? process.cwd());
  let selectName: (name: string) => boolean;
  let selection: string;
  /** Selected as "not applied to the development database" (no git history to ask). */
  let byDatabase = false;
  const { applied, managed, problem, schema: migrationsSchema } = await appliedChecksums(project.url);
  // The schema Prisma's session creates unqualified names in (rewrite resolves them there).
  const defaultSchema = (project.url && urlSchema(project.url)) || migrationsSchema || 'public';
  /** `_prisma_migrations` as the UPDATEs name it: qualified where ?schema= puts it outside a session's search_path. */
  const where = (project.url && urlSchema(project.url)) || migrationsSchema;
  const migrationsTable = where && where !== 'public' ? `${quoteIdent(where)}._prisma_migrations` : '_prisma_migrations';
  const unread = project.url ? `the development database could not be read (${problem ?? 'no reason given'})` : 'no database URL is configured';
  if (req.all) {
    selectName = () => true;
    selection = 'all migrations (--all)';
  } else if (req.paths?.length) {
    const wanted = new Set<string>();
    for (const p of req.paths) {
      const abs = resolve(cwd, p);
      const rel = relative(project.migrationsDir, abs);
      const parts = rel.split(sep).filter(Boolean);
      const name = parts[0];
      // The migration's directory or its migration.sql: anything else under it is not what rewrite writes.
      const inside = parts.length === 1 || (parts.length === 2 && parts[1] === 'migration.sql');
      if (!name || name.startsWith('..') || !inside || !history.some((m) => m.name === name)) {
        throw new UserError({
          code: 'ZD_NOT_A_MIGRATION',
          message: `${p} is not a migration in ${relative(cwd, project.migrationsDir) || '.'}.`,
          hint: 'Name a migration directory or its migration.sql, or run `prisma-zd rewrite` without paths.',
          exit: ExitCode.Usage,
        });
      }
      wanted.add(name);
    }
    selectName = (n) => wanted.has(n);
    selection = 'the named migrations';
  } else {
    const committed = committedMigrations(project.migrationsDir);
    if (committed) {
      selectName = (n) => !committed.has(n);
      selection = 'migrations not committed in git HEAD';
    } else if (applied) {
      selectName = (n) => !applied.has(n);
      selection = "migrations not applied to the development database";
      byDatabase = true;
    } else {
      throw new UserError({
        code: 'ZD_NO_SELECTION',
        message: `Cannot tell which migrations are new: the migrations folder has no git history (outside a repository, or no commit yet), and ${unread}.`,
        hint: project.url
          ? 'Fix the database URL (or start the database), or name the migrations (`prisma-zd rewrite prisma/migrations/<name>`), or pass --all to rewrite the whole history.'
          : 'Name them (`prisma-zd rewrite prisma/migrations/<name>`) or pass --all to rewrite the whole history.',
        exit: ExitCode.Usage,
      });
    }
  }
  if (!applied && project.url) warnings.push(`${unread[0]!.toUpperCase()}${unread.slice(1)}: checksums of applied migrations were not updated.`);
  await initParser();
  const results = rewriteHistory(history, { select: selectName, defaultSchema, execution: readingOf(project.execution) });
  const out: RewriteResult = { migrationsDir: project.migrationsDir, selection, migrations: [], warnings, devDatabaseManaged: managed ?? false };
  const checksumUpdates: Array<{ name: string; from: string; to: string }> = [];
  /** Migrations written while the development database's checksums could not be read. */
  const unchecked: Array<{ name: string; from: string; to: string }> = [];
  results.forEach((r, i) => {
    const m = history[i]!;
    if (!selectName(m.name)) return;
    const entry = {
      name: m.name,
      path: m.path,
      changed: r.changed,
      written: false,
      ...(applied ? { applied: applied.has(m.name) } : {}),
      checksumUpdated: false,
      changes: r.changes,
      notes: r.notes,
      ...(r.error ? { error: `${m.path}:${r.error.line}:${r.error.col}: ${r.error.message}` } : {}),
      ...(r.error?.kind === 'parser' ? { unread: true as const } : {}),
    };
    if (r.changed && !req.check) {
      writeFileSync(m.path, r.text);
      entry.written = true;
      const stored = applied?.get(m.name);
      if (stored !== undefined && stored === sha256(r.original)) checksumUpdates.push({ name: m.name, from: stored, to: sha256(r.text) });
      else if (stored !== undefined) warnings.push(`${m.name} is applied to the development database with a checksum that is not the file's: left as it is.`);
      if (!applied) unchecked.push({ name: m.name, from: sha256(r.original), to: sha256(r.text) });
    }
    out.migrations.push(entry);
  });
  const newest = history.at(-1);
  if (byDatabase && out.migrations.length === 0 && newest && applied?.has(newest.name)) {
    out.newestApplied = { name: newest.name, path: dirname(newest.path) };
  }
  if (unchecked.length) {
    // Run again, rewrite changes nothing more and so updates nothing: the fix is said now.
    const one = unchecked.length === 1;
    warnings.push(
      (project.url
        ? ''
        : 'No database URL is configured (the variable your datasource names is not set in the environment, nor in a .env file Prisma would load), so no checksum was updated. ') +
        `If your development database already applied ${one ? unchecked[0]!.name : 'these migrations'}, \`prisma migrate dev\` will call ${one ? 'it' : 'them'} modified; run there:\n` +
        unchecked.map((u) => `  ${checksumUpdate(u, migrationsTable)}`).join('\n'),
    );
  }
  if (checksumUpdates.length && project.url) {
    // The files are written: a failure here must not hide that, nor leave the fix unsaid.
    let client: pg.Client | undefined;
    try {
      client = await connect(project.url, { applicationName: 'rewrite', connectTimeoutMs: 3000 });
      for (const u of checksumUpdates) {
        const res = await client.query(
          `UPDATE ${migrationsTable} SET checksum = $1 WHERE migration_name = $2 AND checksum = $3`,
          [u.to, u.name, u.from],
        );
        const m = out.migrations.find((x) => x.name === u.name)!;
        m.checksumUpdated = (res.rowCount ?? 0) > 0;
      }
    } catch (e) {
      const left = checksumUpdates.filter((u) => !out.migrations.find((x) => x.name === u.name)!.checksumUpdated);
      warnings.push(
        `The rewritten files are written, but their checksums in the development database's _prisma_migrations could not be updated (${redact(e instanceof Error ? e.message : String(e))}); ` +
          '`prisma migrate dev` would call them modified. Run in that database:\n' +
          left.map((u) => `  ${checksumUpdate(u, migrationsTable)}`).join('\n'),
      );
    } finally {
      await client?.end().catch(() => {});
    }
  }
  return out;
}

/** The statement that records a rewritten migration's checksum where the original's was. */
function checksumUpdate(u: { name: string; from: string; to: string }, table: string): string {
  return `UPDATE ${table} SET checksum = '${u.to}' WHERE migration_name = '${u.name.replace(/'/g, "''")}' AND checksum = '${u.from}';`;
}

export function renderRewrite(o: Output, r: RewriteResult, check: boolean): void {
  const rel = (p: string) => relative(process.cwd(), p) || p;
  if (r.migrations.length === 0) {
    o.err(`No migrations to rewrite (${r.selection}).`);
    if (r.newestApplied) {
      o.err(
        `\`prisma migrate dev\` applies the migration it creates: if ${r.newestApplied.name} is your new one, name it:\n` +
          `  prisma-zd rewrite ${rel(r.newestApplied.path)}`,
      );
    }
  }
  for (const m of r.migrations) {
    if (m.error) {
      o.err(`${paint(o, 'red', '✗')} ${m.name}: ${m.unread ? 'left as it is, not analysed' : 'does not parse'}: ${m.error}`);
      continue;
    }
    const verb = !m.changed ? 'already deploy-safe' : check ? 'needs rewrite' : 'rewritten';
    o.err(`${m.changed ? paint(o, check ? 'yellow' : 'green', '•') : paint(o, 'dim', '✓')} ${m.name}: ${verb}`);
    for (const c of m.changes) o.err(`    ${rel(m.path)}:${c.line}  ${c.message}`);
    for (const n of m.notes) o.err(`    ${paint(o, 'dim', `${rel(m.path)}:${n.line}  ${n.message}`)}`);
    if (m.checksumUpdated) o.err(`    checksum updated in the development database's _prisma_migrations`);
  }
  const written = r.migrations.filter((m) => m.written);
  const managed = r.devDatabaseManaged ? managedDevDatabase(written) : undefined;
  if (managed) o.err(`${paint(o, 'yellow', 'warning:')} ${managed}`);
  for (const w of r.warnings) o.err(`${paint(o, 'yellow', 'warning:')} ${w}`);
  if (check && r.migrations.some((m) => m.changed)) {
    o.err(`\nRun \`prisma-zd rewrite\` to make these migrations deploy-safe.`);
  }
  if (written.length) o.err(`\n${nextStep(written)}`);
}

const names = (ms: Array<{ name: string }>) => ms.map((m) => m.name).join(', ');

/** What the developer does next with the migrations just written. */
function nextStep(written: RewriteResult['migrations']): string {
  const toApply = written.filter((m) => m.applied === false);
  if (toApply.length) return `Next: \`prisma migrate dev\` applies ${names(toApply)} to your development database; then commit.`;
  return `Next: commit ${names(written)}.`;
}

/**
 * On a managed development database a rewritten migration queues its index builds and
 * keeps the defaults it drops, so the schema differs from what Prisma's shadow database
 * (unmanaged) builds: `prisma migrate dev` calls that drift. Undefined when nothing of
 * the kind was written.
 */
function managedDevDatabase(written: RewriteResult['migrations']): string | undefined {
  const kinds = new Set(written.flatMap((m) => m.changes.map((c) => c.kind)));
  const indexes = kinds.has('postpone-index');
  const defaults = kinds.has('defer-drop-default');
  if (!indexes && !defaults) return undefined;
  const what = [indexes ? 'its indexes are queued instead of built' : '', defaults ? 'the defaults it drops stay until contract' : ''];
  const run = [indexes ? '`prisma-zd postponed run`' : '', defaults ? '`prisma-zd contract`' : ''];
  const and = (parts: string[]) => parts.filter(Boolean).join(' and ');
  return (
    `Your development database is managed by prisma-zd (it has ${QUEUE_TABLE}, from \`prisma-zd setup\` or \`deploy\`): ` +
    `where \`prisma migrate dev\` or \`prisma migrate reset\` applies a rewritten migration, ${and(what)}, ` +
    `so the next \`prisma migrate dev\` reports drift and asks to reset. After applying, run ${and(run)}; ` +
    `or keep the development database unmanaged: DROP SCHEMA ${ZD_SCHEMA} CASCADE;`
  );
}

export const rewriteCommand = defineCommand({
  command: 'rewrite [paths..]',
  describe: 'Make new migrations deploy-safe (postponed indexes, NOT VALID foreign keys and checks, deferred DROP DEFAULT)',
  builder: (y) =>
    projectOptions(y)
      .positional('paths', { type: 'string', array: true, describe: 'Migration directories or files (default: the new ones)' })
      .option('all', { type: 'boolean', default: false, describe: 'Rewrite every migration in the folder (adopting prisma-zd)' })
      .option('check', { type: 'boolean', default: false, describe: 'Change nothing; exit 1 when a migration would change' }),
  async run(argv, o) {
    const result = await rewrite({
      ...(argv.url === undefined ? {} : { url: argv.url }),
      ...(argv.migrations === undefined ? {} : { migrations: argv.migrations }),
      ...(argv.schema === undefined ? {} : { schema: argv.schema }),
      paths: (argv.paths as string[] | undefined) ?? [],
      all: argv.all,
      check: argv.check,
    });
    if (argv.json) o.out(JSON.stringify(result, null, 2));
    renderRewrite(o, result, argv.check);
    if (result.migrations.some((m) => m.error)) return ExitCode.Failure;
    if (argv.check && result.migrations.some((m) => m.changed)) return ExitCode.Failure;
    return ExitCode.Ok;
  },
});
