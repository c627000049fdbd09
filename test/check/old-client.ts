/**
 * The old app as a real Prisma Client 6.19.3, generated from OLD_SCHEMA in a copy of the
 * sample project and loaded from there (its query compiler, through `@prisma/adapter-pg`).
 */
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { copySampleProject, runPrisma, type SampleProjectCopy } from '../support/prisma.js';
import { OLD_SCHEMA } from './old-app-cases.js';

export interface OldClient<C> {
  /** The project copy (schema.prisma is OLD_SCHEMA); `cleanup` removes it. */
  readonly project: SampleProjectCopy;
  readonly PrismaClient: new (opts: unknown) => C;
  readonly PrismaPg: new (config: pg.PoolConfig) => object;
}

export async function generateOldClient<C>(): Promise<OldClient<C>> {
  const project = await copySampleProject();
  writeFileSync(join(project.dir, 'schema.prisma'), OLD_SCHEMA);
  // generate reads no database; the config still wants a URL.
  const run = await runPrisma(['generate'], { url: 'postgresql://unused@127.0.0.1:1/unused', cwd: project.dir });
  if (run.code !== 0) {
    await project.cleanup();
    throw new Error(`prisma generate failed:\n${run.stdout}\n${run.stderr}`);
  }
  // Resolved from the copy, like an app would: @prisma/client's runtime through its node_modules link.
  const require = createRequire(join(project.dir, 'package.json'));
  const { PrismaClient } = require('./generated/old-client') as { PrismaClient: new (opts: unknown) => C };
  const { PrismaPg } = require('@prisma/adapter-pg') as { PrismaPg: new (config: pg.PoolConfig) => object };
  return { project, PrismaClient, PrismaPg };
}
