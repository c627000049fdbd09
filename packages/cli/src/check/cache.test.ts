/*
 * The checkpoint cache's key: a checkpoint holds the state the replay reached, which
 * depends on how Prisma runs the files (how long a `SET LOCAL search_path` holds), so
 * one taken under one execution is never served to a check under another.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkHistory, initParser, type CheckInput } from '@prisma-zd/core';
import { checkpointCache } from './cache.js';

await initParser();
const root = mkdtempSync(join(tmpdir(), 'zd-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'node_modules'));
const folder = join(root, 'prisma', 'migrations');

const inputs: CheckInput[] = [
  { name: '20240101000000_init', sql: 'CREATE SCHEMA app;\nCREATE TABLE app."Post" ("id" INTEGER, "title" TEXT);\nCREATE TABLE "Post" ("id" INTEGER);\nSET LOCAL search_path = app;\nCREATE TABLE "Tag" ("id" INTEGER);\n', report: false },
  { name: '20240102000000_index', sql: 'CREATE INDEX "Post_title_idx" ON app."Post" ("title");\n' },
];

describe('the checkpoint cache', () => {
  it('serves a checkpoint to a check under the same execution only', () => {
    const taken = checkHistory(inputs, { execution: 'whole-file', checkpoint: true }).checkpoint!;
    expect(taken.migrations).toBe(1);
    // Under whole-file execution "Tag" went to app; statement by statement, to public.
    expect([...taken.source.tables.keys()].filter((k) => k.includes('Tag'))).toEqual(['"app"."Tag"']);
    checkpointCache(folder, root, 'public', 'whole-file')!.save(inputs, taken, undefined);

    expect(checkpointCache(folder, root, 'public', 'whole-file')!.load(inputs)?.migrations).toBe(1);
    expect(checkpointCache(folder, root, 'public', 'per-statement')!.load(inputs)).toBeUndefined();
    expect(checkpointCache(folder, root, 'public', 'unknown')!.load(inputs)).toBeUndefined();
    const perStatement = checkHistory(inputs, { execution: 'per-statement', checkpoint: true }).checkpoint!;
    expect([...perStatement.source.tables.keys()].filter((k) => k.includes('Tag'))).toEqual(['"public"."Tag"']);
  });
});
