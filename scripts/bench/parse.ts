/**
 * `pnpm bench:parse [dir]`: parse every `migration.sql` under `dir` (default: the corpus
 * in ../shared/corpus beside the repository) with @prisma-zd/core (libpg-query, the
 * PostgreSQL parser in WebAssembly) and with node-sql-parser, side by side in one run.
 *
 * Files are read into memory first; both parsers are warmed up on every file; then each
 * parses all files ROUNDS times (alternating) and the median round counts. Only parse
 * time is measured. Afterwards, untimed, each statement our parser found is also given
 * to node-sql-parser on its own, for a per-statement success rate.
 *
 * Prints a summary, then as the last line one JSON object with at least
 * `files`, `okZd`, `okNodeSqlParser`, `msZd`, `msNodeSqlParser`.
 * Env: BENCH_PARSE_ROUNDS (default 5).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeSqlParser from 'node-sql-parser';
import { initParser, parseSql } from '../../packages/core/src/index.js';
import type { ParsedSql } from '../../packages/core/src/index.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_PARSE_ROUNDS ?? 5));
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = resolve(process.argv[2] ?? resolve(repoRoot, '..', 'shared', 'corpus'));

function findScripts(root: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name === 'migration.sql') found.push(path);
    }
  };
  walk(root);
  return found;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

if (!existsSync(dir)) {
  console.error(`bench:parse: no directory ${dir}`);
  process.exit(1);
}
const paths = findScripts(dir);
const texts = paths.map((p) => readFileSync(p, 'utf8'));
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
const nsp = new nodeSqlParser.Parser();
const NSP_OPTIONS = { database: 'PostgreSQL' };

function runZd(): ParsedSql[] {
  return texts.map((t) => parseSql(t));
}

function runNsp(): boolean[] {
  return texts.map((t) => {
    try {
      nsp.astify(t, NSP_OPTIONS);
      return true;
    } catch {
      return false;
    }
  });
}

await initParser();
// Warm up: every file once through each parser.
const zdResults = runZd();
const nspResults = runNsp();

const zdTimes: number[] = [];
const nspTimes: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let t = performance.now();
  runZd();
  zdTimes.push(performance.now() - t);
  t = performance.now();
  runNsp();
  nspTimes.push(performance.now() - t);
}
const msZd = median(zdTimes);
const msNodeSqlParser = median(nspTimes);

// Untimed: each statement on its own through node-sql-parser.
let statements = 0;
let statementsOkNodeSqlParser = 0;
for (const parsed of zdResults) {
  for (const s of parsed.statements) {
    statements++;
    try {
      nsp.astify(s.text, NSP_OPTIONS);
      statementsOkNodeSqlParser++;
    } catch {
      // counted as a failure
    }
  }
}

const okZd = zdResults.filter((p) => !p.error).length;
const okNodeSqlParser = nspResults.filter(Boolean).length;
const failedZd = zdResults.flatMap((p, i) =>
  p.error ? [`${relative(dir, paths[i] as string)}:${p.error.line}:${p.error.col}: ${p.error.message}`] : [],
);
const pct = (n: number, of: number): string => `${of ? ((100 * n) / of).toFixed(1) : '0.0'}%`;

console.log(`bench:parse — ${paths.length} migration.sql files (${(bytes / 1024).toFixed(0)} KiB) under ${dir}`);
console.log(`median of ${ROUNDS} rounds after a warm-up, parse time only:`);
console.log(`  @prisma-zd/core (libpg-query): ${msZd.toFixed(1)} ms, ${okZd}/${paths.length} files parsed (${pct(okZd, paths.length)}), ${statements} statements`);
console.log(
  `  node-sql-parser:               ${msNodeSqlParser.toFixed(1)} ms, ${okNodeSqlParser}/${paths.length} files parsed (${pct(okNodeSqlParser, paths.length)}), ` +
    `${statementsOkNodeSqlParser}/${statements} statements parsed one by one (${pct(statementsOkNodeSqlParser, statements)})`,
);
console.log(`  node-sql-parser / core: ${(msNodeSqlParser / msZd).toFixed(1)}x the time`);
for (const f of failedZd) console.log(`  core could not parse ${f}`);
console.log(
  JSON.stringify({
    files: paths.length,
    okZd,
    okNodeSqlParser,
    msZd: Number(msZd.toFixed(1)),
    msNodeSqlParser: Number(msNodeSqlParser.toFixed(1)),
    statements,
    statementsOkNodeSqlParser,
    rounds: ROUNDS,
    bytes,
  }),
);
