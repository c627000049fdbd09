/**
 * `pnpm demo`: the sample Prisma project on an embedded PostgreSQL, no set-up needed.
 * Applies the sample history with the real `prisma migrate deploy`, then shows what
 * prisma-zd sees in each migration: its statements and what `prisma-zd rewrite` would
 * postpone (indexes built CONCURRENTLY), validate later (foreign keys) or defer to
 * `contract` (dropped defaults), and that the rewritten history gives the same schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initParser, parseSql, rewriteHistory } from '@prisma-zd/core';
import { diffFingerprints, fingerprintUrl } from '../packages/cli/src/db/fingerprint.js';
import { createDatabase, startEmbedded } from '../test/support/postgres.js';
import { copySampleProject, migrationNames, runPrisma } from '../test/support/prisma.js';
import { applyHistory } from '../test/support/apply.js';

const bold = (s: string) => (process.stdout.isTTY && !('NO_COLOR' in process.env) ? `\u001b[1m${s}\u001b[22m` : s);

async function main() {
  console.log(bold('prisma-zd demo') + ' — embedded PostgreSQL, the sample Prisma project, the real prisma CLI\n');
  const server = await startEmbedded();
  const sample = await copySampleProject();
  try {
    console.log(`PostgreSQL ${server.major} started on 127.0.0.1:${server.port}`);
    const db = await createDatabase(server, { prefix: 'demo' });
    const deploy = await runPrisma(['migrate', 'deploy'], { url: db.url, cwd: sample.dir });
    process.stdout.write(deploy.stdout.replace(/^/gm, '  prisma │ '));
    if (deploy.code !== 0) throw new Error(`prisma migrate deploy failed:\n${deploy.stderr}`);
    const status = await runPrisma(['migrate', 'status'], { url: db.url, cwd: sample.dir });
    console.log(status.stdout.trim().split('\n').pop()?.replace(/^/, '  prisma │ '));

    await initParser();
    const history = migrationNames(sample.migrationsDir).map((name) => ({
      name,
      sql: readFileSync(join(sample.migrationsDir, name, 'migration.sql'), 'utf8'),
    }));
    const rewritten = rewriteHistory(history, { select: () => true });
    console.log('\n' + bold('What prisma-zd sees in each migration'));
    for (const [i, m] of history.entries()) {
      const parsed = parseSql(m.sql);
      const kinds = new Map<string, number>();
      for (const s of parsed.statements) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
      console.log(`\n${m.name}  (${parsed.statements.length} statements: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`);
      const r = rewritten[i]!;
      if (!r.changes.length) console.log('  deploy-safe as it is');
      for (const c of r.changes) console.log(`  line ${c.line}: ${c.message}`);
      for (const n of r.notes) console.log(`  line ${n.line}: ${n.message}`);
    }

    const check = await createDatabase(server, { prefix: 'demo_rw' });
    const applied = await applyHistory(check.url, rewritten.map((r) => ({ name: r.name, sql: r.text })));
    const diff = diffFingerprints(await fingerprintUrl(db.url), await fingerprintUrl(check.url));
    console.log(
      '\n' +
        bold('Unmanaged equivalence: ') +
        (applied.error
          ? `the rewritten history failed at ${applied.error.migration}: ${applied.error.message}`
          : diff.length === 0
            ? `the rewritten history (${rewritten.filter((r) => r.changed).length} migrations changed) gives exactly the schema of the original on a database without prisma-zd.`
            : `schemas differ:\n${diff.map((d) => d.message).join('\n')}`),
    );
    console.log('\nNext: `pnpm test` runs the suite; see README.md for the commands.');
    if (applied.error || diff.length) process.exitCode = 1;
  } finally {
    await sample.cleanup();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
