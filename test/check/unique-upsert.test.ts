/*
 * Removing @unique while old app versions run (dropping-unique-index), measured with a real
 * Prisma Client 6.19.3 (query compiler, `@prisma/adapter-pg`) generated from the old schema:
 * its `upsert` by the unique field is one INSERT … ON CONFLICT, which fails once the
 * migration Prisma generates for the new schema has dropped the index; its other queries by
 * that field keep working. `prisma-zd check` reports that migration.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withConnection } from '../support/apply.js';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { runPrisma, type SampleProjectCopy } from '../support/prisma.js';
import { generateOldClient } from './old-client.js';
import { makeProject, ZD_ENV } from './fixture.js';
import { BASE_SQL, OLD_SCHEMA } from './old-app-cases.js';

interface Client {
  user: {
    upsert(args: unknown): Promise<{ age: number }>;
    findUnique(args: unknown): Promise<{ age: number } | null>;
    update(args: unknown): Promise<unknown>;
  };
  $on(event: 'query', cb: (e: { query: string }) => void): void;
  $disconnect(): Promise<void>;
}

let project: SampleProjectCopy | undefined;
let PrismaClient: new (opts: unknown) => Client;
let PrismaPg: new (config: pg.PoolConfig) => object;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  ({ project, PrismaClient, PrismaPg } = await generateOldClient<Client>());
});
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
  project?.cleanup();
});

describe('removing @unique under an old app', () => {
  it("the old client's upsert by the field is INSERT … ON CONFLICT and fails once Prisma's migration drops the index; check reports that migration", async () => {
    const db = await freshDatabase({ prefix: 'zd_unique_upsert' });
    cleanups.push(() => db.drop());
    await withConnection(db.url, (c) => c.query(BASE_SQL));

    // What Prisma generates for `email String @unique` → `email String`.
    const newSchema = join(project!.dir, 'new.prisma');
    writeFileSync(newSchema, OLD_SCHEMA.replace('email     String   @unique', 'email     String'));
    const diff = await runPrisma(['migrate', 'diff', '--from-schema-datamodel', 'schema.prisma', '--to-schema-datamodel', 'new.prisma', '--script'], { url: db.url, cwd: project!.dir });
    expect(diff.code, diff.stderr).toBe(0);
    const migration = diff.stdout.trim();
    expect(migration).toBe('-- DropIndex\nDROP INDEX "User_email_key";');

    const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 1 }), log: [{ emit: 'event', level: 'query' }] });
    cleanups.push(() => client.$disconnect());
    const sent: string[] = [];
    client.$on('query', (e) => sent.push(e.query));
    const upsert = (age: number) => client.user.upsert({ where: { email: 'a@example.com' }, create: { email: 'a@example.com', age }, update: { age } });
    expect((await upsert(30)).age).toBe(30);
    expect(sent).toEqual([expect.stringMatching(/^INSERT INTO "public"\."User" .* ON CONFLICT \("email"\) DO UPDATE SET /)]);

    await withConnection(db.url, (c) => c.query(migration));
    const failed = await upsert(31).then(
      () => 'no error',
      (e: unknown) => String(e),
    );
    expect(failed).toContain('there is no unique or exclusion constraint matching the ON CONFLICT specification');
    // The old app's other queries by the field keep working: only the upsert breaks.
    expect((await client.user.findUnique({ where: { email: 'a@example.com' } }))?.age).toBe(30);
    await client.user.update({ where: { email: 'a@example.com' }, data: { age: 32 } });
    expect((await client.user.findUnique({ where: { email: 'a@example.com' } }))?.age).toBe(32);

    // check reports Prisma's migration (on top of the old schema's), in the old app's terms.
    const p = makeProject();
    cleanups.push(() => p.remove());
    p.migration('20240101000000_init', BASE_SQL);
    p.migration('20240102000000_email_not_unique', `${migration}\n`);
    const check = await runZd(['check', '--format', 'json'], { cwd: p.dir, env: ZD_ENV });
    const findings = (JSON.parse(check.stdout) as { findings: Array<{ ruleId: string; severity: string; message: string }> }).findings;
    expect(findings.filter((f) => f.ruleId === 'dropping-unique-index').map((f) => [f.severity, f.message.split(':')[0]])).toEqual([
      ['warning', 'DROP INDEX "User_email_key" removes the unique index of "User" on "email"'],
    ]);
  });
});
