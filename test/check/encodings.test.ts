/*
 * Files an editor or a shell saved in another encoding: "UTF-8 with BOM" (an editor's
 * option) and UTF-16 (PowerShell's `>` redirect of `prisma migrate diff --script`).
 * Measured with the real prisma CLI: `prisma migrate deploy` fails on both. `check` says
 * why in words a user can act on, at the first line, with exit 1.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { addMigration, copySampleProject, migrationNames, runPrisma } from '../support/prisma.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(() => Promise.all(cleanups.splice(0).map((f) => f().catch(() => {}))));

const SQL = 'CREATE TABLE "Encoded" ("id" INTEGER);\n';
const ENCODINGS = {
  'UTF-8 with BOM': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SQL, 'utf8')]),
  'UTF-16 (PowerShell)': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SQL, 'utf16le')]),
};
const MESSAGES = {
  'UTF-8 with BOM': 'syntax error at or near "\uFEFFCREATE" (the file starts with a byte order mark, U+FEFF, invisible in most editors: save it as UTF-8 without BOM)',
  'UTF-16 (PowerShell)': "the file is UTF-16 (little-endian; PowerShell's `>` writes it), not UTF-8: Prisma reads migration.sql as UTF-8 and cannot run it: save it as UTF-8 without BOM",
};

describe('a migration saved in another encoding', () => {
  for (const [encoding, bytes] of Object.entries(ENCODINGS) as Array<[keyof typeof ENCODINGS, Buffer]>) {
    it(`${encoding}: prisma migrate deploy fails on it; check names the encoding and the fix`, async () => {
      const project = await copySampleProject();
      cleanups.push(() => project.cleanup());
      for (const name of migrationNames(project.migrationsDir)) rmSync(join(project.migrationsDir, name), { recursive: true });
      const name = addMigration(project.migrationsDir, 'encoded', '');
      writeFileSync(join(project.migrationsDir, name, 'migration.sql'), bytes);
      const db = await freshDatabase({ prefix: 'zd_encoding' });
      cleanups.push(() => db.drop());

      const deploy = await runPrisma(['migrate', 'deploy'], { url: db.url, cwd: project.dir });
      expect(deploy.code, deploy.stdout + deploy.stderr).not.toBe(0);
      // PostgreSQL reads the BOM as part of the first word; UTF-16's NUL bytes cannot even be sent.
      if (encoding === 'UTF-8 with BOM') expect(deploy.stdout + deploy.stderr).toContain('syntax error at or near "\uFEFFCREATE"');

      const check = await runZd(['check', project.migrationsDir, '--format', 'json'], { cwd: project.dir });
      expect(check.code).toBe(1);
      const report = JSON.parse(check.stdout) as { parseErrors: Array<{ migration: string; line: number; column: number; message: string; kind: string }> };
      expect(report.parseErrors).toEqual([{ migration: name, path: expect.stringContaining(name), line: 1, column: 1, message: MESSAGES[encoding], kind: 'syntax' }]);
    }, 120_000);
  }
});
