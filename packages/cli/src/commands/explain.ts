import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rules } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { paint } from '../util/output.js';
import { defineCommand } from './command.js';

/**
 * The rule's page: in this repository, `docs/rules/<id>.md`; in the installed package, the
 * copy `prepack` puts in its `docs/rules` (never a `docs/rules` of the user's project).
 */
export function rulePage(id: string, moduleDir = dirname(fileURLToPath(import.meta.url))): string | undefined {
  const pkg = resolve(moduleDir, '../..');
  const repo = resolve(pkg, '../..');
  // This package in this repository (packages/cli/{src,dist}/commands), not an installed copy
  // inside a project that happens to be a pnpm workspace with a packages/cli of its own.
  const fromSources = pkg === join(repo, 'packages', 'cli') && existsSync(join(repo, 'pnpm-workspace.yaml')) && existsSync(join(repo, 'docs/rules'));
  const file = join(fromSources ? join(repo, 'docs/rules') : join(pkg, 'docs/rules'), `${id}.md`);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/**
 * `error[syntax]` is not a rule (it cannot be turned off or suppressed), but `check`
 * prints it like one: `explain syntax` says what it means.
 */
const SYNTAX_PAGE = `# syntax (not a rule)

\`prisma-zd check\` reads every migration with PostgreSQL's own parser (libpg-query: the
grammar of PostgreSQL 18 compiled to WebAssembly). \`error[syntax]\` means the parser
rejects the statement at the position shown, so \`prisma migrate deploy\` would fail on it too.

- The statements after that point are not checked, and later migrations are replayed
  without what the rejected statement would have done.
- It cannot be suppressed with \`-- prisma-zd-ignore\` or turned off in the config: the exit
  code is 1 until the file parses.

## What to do

Fix the SQL at the line and column shown, then run \`prisma-zd check\` again. To see
PostgreSQL's own message, run the file against a scratch database:
\`psql "$SHADOW_DATABASE_URL" -v ON_ERROR_STOP=1 -f <path>/migration.sql\`.

A migration that is already applied cannot be edited safely: add a new migration instead
(see \`prisma-zd explain modified-migration\`).
`;

/** `error[parser]`: prisma-zd's copy of the parser could not hold the file (not a rule either). */
const PARSER_PAGE = `# parser (not a rule)

\`error[parser]\` means prisma-zd could not read the file, not that the SQL is wrong: its copy
of PostgreSQL's parser runs as WebAssembly with 1 GB of memory for the file's whole parse
tree, and a very large file (a data seed of millions of rows: ~30 MB of \`INSERT … VALUES\`
reads, ~65 MB does not) needs more. PostgreSQL itself may well accept it.

- Nothing of the file is checked, and later migrations are replayed without it.
- \`rewrite\` leaves the file alone and says why; the exit code of \`check\` is 1.

## What to do

Split the data into smaller migrations, or load it outside Migrate (\`COPY\`, a seed
script); or, when the file only moves data, leave it out of check in prisma-zd.config.ts:
\`check: { exclude: ['prisma/migrations/<its folder>'] }\`.
`;

/** `error[folder]`: the migrations folder around the files (not a rule either). */
const FOLDER_PAGE = `# folder (not a rule)

\`error[folder]\` is about the migrations folder itself, not a migration's SQL:

- **A directory without \`migration.sql\`.** Prisma counts every directory of the folder as
  a migration, hidden ones (\`.idea\`) included, and \`prisma migrate deploy\` fails with
  P3015 when it reaches one, after applying the migrations before it. It comes from an
  interrupted \`prisma migrate dev --create-only\`, a checkout that left a directory behind,
  or a tool writing into the folder. \`prisma-zd deploy\` refuses the folder before anything
  runs (\`ZD_MIGRATION_NO_SCRIPT\`).
- **A \`migration_lock.toml\` of another database** (\`provider = "mysql"\`, …): prisma-zd
  reads PostgreSQL migrations only, so none of the folder's SQL is checked, and \`deploy\`
  and \`rewrite\` refuse it (\`ZD_PROVIDER\`).

## What to do

Delete the directory, or restore its \`migration.sql\` (\`git status <directory>\`). A folder
that is not a Prisma migrations folder at all can be left out of check in
prisma-zd.config.ts: \`check: { exclude: ['<its path>'] }\`.
`;

export const explainCommand = defineCommand({
  command: 'explain [rule]',
  describe: "Print a check rule's page: why it matters, what to write instead",
  builder: (y) =>
    y
      .positional('rule', { type: 'string', describe: 'Rule id, e.g. require-concurrent-index-creation' })
      .option('list', { type: 'boolean', default: false, describe: 'List every rule with its severity' }),
  async run(argv, o) {
    if (argv.list || argv.rule === undefined) {
      const width = Math.max(...rules.map((r) => r.id.length));
      for (const r of rules) o.out(`${r.id.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.summary}`);
      return ExitCode.Ok;
    }
    const page = { syntax: SYNTAX_PAGE, parser: PARSER_PAGE, folder: FOLDER_PAGE }[argv.rule];
    if (page !== undefined) {
      o.out(page);
      return ExitCode.Ok;
    }
    const rule = rules.find((r) => r.id === argv.rule);
    if (!rule) {
      const near = rules.filter((r) => r.id.includes(argv.rule!) || argv.rule!.includes(r.id)).map((r) => r.id);
      throw new UserError({
        code: 'ZD_UNKNOWN_RULE',
        message: `prisma-zd has no rule "${argv.rule}".${near.length ? ` Did you mean ${near.join(', ')}?` : ''}`,
        hint: '`prisma-zd explain --list` lists the rules.',
        exit: ExitCode.Usage,
      });
    }
    const text = rulePage(rule.id);
    o.out(text ?? `# ${rule.id}\n\n${rule.summary}.\n\nSeverity: ${rule.severity}`);
    o.err(paint(o, 'dim', rule.docUrl));
    return ExitCode.Ok;
  },
});
