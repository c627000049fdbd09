/**
 * The pure parts of deploy: options, the session URL, pooler detection, reading
 * Prisma's failure logs, atomicity of a migration file, blocker filters.
 */
import { describe, expect, it } from 'vitest';
import { initParser } from '@prisma-zd/core';
import { chooseTargets, filteredReason, globMatch, protectedReason, type BlockerInfo } from '../../packages/cli/src/deploy/blockers.js';
import { getEventListeners } from 'node:events';
import { sleep } from '../../packages/cli/src/deploy/attempts.js';
import { atomicity, readFailureLog } from '../../packages/cli/src/deploy/failed.js';
import { parseSchedule, resolveDeploySettings, retryDelay } from '../../packages/cli/src/deploy/settings.js';
import { looksLikeDevDatabase, poolerReason, sessionUrl } from '../../packages/cli/src/deploy/url.js';

await initParser();

describe('sleep', () => {
  it('leaves no abort listener behind (a polling loop warned MaxListenersExceeded), and ends at once on abort', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await waiting;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await sleep(60_000, controller.signal); // already aborted: returns at once
  });
});

describe('settings', () => {
  it('defaults to short lock timeouts many times, then longer ones', () => {
    const s = resolveDeploySettings({}, undefined, {});
    expect(s.schedule).toEqual([1000, 1000, 1000, 1000, 1000, 3000, 3000, 3000, 10000, 10000]);
    expect(s).toMatchObject({ blockers: 'show', graceMs: 3000, pollMs: 250, statementTimeoutMs: 0, postponed: true });
  });

  it('flags win over the file; --lock-timeout flattens the schedule, --retries cuts or extends it', () => {
    const file = { retrySchedule: '2s*2,5s', blockers: 'cancel', blockerApps: ['web-*'] };
    expect(resolveDeploySettings(file, 'prisma-zd.config.ts', {})).toMatchObject({ schedule: [2000, 2000, 5000], blockers: 'cancel', filters: { apps: ['web-*'] } });
    expect(resolveDeploySettings(file, 'f', { lockTimeout: '500ms' }).schedule).toEqual([500, 500, 500]);
    expect(resolveDeploySettings(file, 'f', { retries: 4 }).schedule).toEqual([2000, 2000, 5000, 5000, 5000]);
    expect(resolveDeploySettings(file, 'f', { retries: 0, blockers: 'terminate' })).toMatchObject({ schedule: [2000], blockers: 'terminate' });
    expect(parseSchedule(['1s*2', 300])).toEqual([1000, 1000, 300]);
  });

  it('reports every problem at once, naming the file and the key', () => {
    expect(() =>
      resolveDeploySettings({ lockTimout: '1s', blockers: 'kill', onBlocked: 3 }, 'prisma-zd.config.ts', { retrySchedule: '1s*x' }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [UserError: deploy options are not valid:
        - unknown key "deploy.lockTimout" in prisma-zd.config.ts (known: lockTimeout, statementTimeout, retries, retrySchedule, retryDelay, blockers, blockerGrace, blockerMinAge, blockerApps, blockerExcludeApps, blockerUsers, blockerExcludeUsers, pollInterval, postponed, onBlocked)
        - --retry-schedule 1s*x is not valid
        - "deploy.blockers" in prisma-zd.config.ts is not valid: "kill"
        - "deploy.onBlocked" in prisma-zd.config.ts must be a function]
    `);
  });

  it('backs off with jitter, doubling, at most 15 s', () => {
    expect(retryDelay(1000, 2, () => 0)).toBe(700);
    expect(retryDelay(1000, 2, () => 1)).toBe(1300);
    expect(retryDelay(1000, 4, () => 0.5)).toBe(4000);
    expect(retryDelay(1000, 20, () => 1)).toBe(19500);
  });
});

describe('the session URL', () => {
  it('appends our settings to existing options and replaces application_name', () => {
    const url = sessionUrl('postgresql://u:p%40ss@db:5432/app?schema=s1&options=-c%20search_path%3Ds1&application_name=web', {
      lockTimeoutMs: 1500,
      statementTimeoutMs: 0,
      applicationName: 'prisma-zd/deploy-abc',
    });
    expect(url).toBe(
      'postgresql://u:p%40ss@db:5432/app?schema=s1&options=-c%20search_path%3Ds1%20-c%20lock_timeout%3D1500ms%20-c%20statement_timeout%3D0ms&application_name=prisma-zd%2Fdeploy-abc',
    );
    const u = new URL(url);
    expect(u.searchParams.get('options')).toBe('-c search_path=s1 -c lock_timeout=1500ms -c statement_timeout=0ms');
  });

  it('recognises poolers and developer databases', () => {
    expect(poolerReason('postgresql://u@h:5432/d?pgbouncer=true')).toBe('it has pgbouncer=true');
    expect(poolerReason('postgresql://u@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/d')).toMatch(/pooler endpoint/);
    expect(poolerReason('postgresql://u@h:6432/d')).toMatch(/6432/);
    expect(poolerReason('postgresql://u@h:5432/d')).toBeUndefined();
    expect(looksLikeDevDatabase('postgresql://u@localhost:5432/app_dev')).toBe(true);
    expect(looksLikeDevDatabase('postgresql://u@db.internal:5432/app_dev')).toBe(false);
    expect(looksLikeDevDatabase('postgresql://u@127.0.0.1:5432/app')).toBe(false);
  });
});

describe("Prisma's failure logs", () => {
  it('reads the WebAssembly engine and the native engine formats', () => {
    expect(
      readFailureLog('external connector error\nError querying the database: ERROR: canceling statement due to lock timeout\n   0: sql_schema_connector::apply_migration::apply_script'),
    ).toEqual({ kind: 'lock-timeout', message: 'canceling statement due to lock timeout', sqlstate: undefined });
    expect(
      readFailureLog('Migration name: 2026_x\n\nDatabase error code: 55P03\n\nDatabase error:\nERROR: canceling statement due to lock timeout\n\nDbError { severity: "ERROR" }'),
    ).toEqual({ kind: 'lock-timeout', message: 'canceling statement due to lock timeout', sqlstate: '55P03' });
    expect(readFailureLog('Database error code: 42P01\n\nDatabase error:\nERROR: relation "x" does not exist')).toMatchObject({ kind: 'error', sqlstate: '42P01' });
    expect(readFailureLog('Error querying the database: FATAL: terminating connection due to administrator command')).toMatchObject({ kind: 'connection' });
    expect(readFailureLog('ERROR: canceling statement due to statement timeout')).toMatchObject({ kind: 'statement-timeout' });
    expect(readFailureLog(null)).toEqual({ kind: 'none', message: undefined, sqlstate: undefined });
  });

  it('knows which files are all-or-nothing when run whole-file', () => {
    expect(atomicity('CREATE TABLE a (id int);\nALTER TABLE b ADD COLUMN c int;', 'whole-file')).toEqual({ atomic: true });
    expect(atomicity('BEGIN;\nALTER TYPE "E" RENAME TO "E_old";\nCOMMIT;', 'whole-file')).toMatchObject({ atomic: false, reason: expect.stringContaining('own transaction') });
    expect(atomicity('CREATE INDEX CONCURRENTLY i ON t (c);', 'whole-file')).toMatchObject({ atomic: false, reason: expect.stringContaining('outside a transaction') });
    expect(atomicity('ALTER TABLE b ADD COLUMN c int;', 'per-statement')).toMatchObject({ atomic: false });
    expect(atomicity('SELEC 1;', 'whole-file')).toEqual({ atomic: true });
  });
});

describe('blocker filters', () => {
  const blocker = (over: Partial<BlockerInfo>): BlockerInfo => ({
    pid: 1, user: 'app', application: 'web-1', clientAddr: null, backendType: 'client backend', state: 'idle in transaction', xactAgeMs: 10_000, query: null, blockingMs: 5000, ...over,
  });
  const none = { minAgeMs: 0, apps: [], excludeApps: [], users: [], excludeUsers: [] };

  it('never our sessions, replication or prepared transactions', () => {
    const row = (over: object) => ({ pid: 1, usename: 'a', application_name: 'x', client_addr: null, backend_type: 'client backend', state: null, xact_ms: null, ...over });
    expect(protectedReason(1, row({ application_name: 'prisma-zd/deploy-1-control' }))).toBe('a prisma-zd session');
    expect(protectedReason(1, row({ backend_type: 'walsender' }))).toBe('replication (walsender)');
    expect(protectedReason(1, row({ backend_type: 'autovacuum worker' }))).toBe('a autovacuum worker process');
    expect(protectedReason(0, undefined)).toMatch(/prepared transaction/);
    expect(protectedReason(1, row({}))).toBeUndefined();
  });

  it('minimum age, application and role filters; the exclusions win', () => {
    expect(filteredReason(blocker({}), { ...none, minAgeMs: 30_000 })).toMatch(/younger/);
    expect(filteredReason(blocker({}), { ...none, apps: ['web-*'] })).toBeUndefined();
    expect(filteredReason(blocker({}), { ...none, apps: ['web-*'], excludeApps: ['web-1'] })).toMatch(/excluded/);
    expect(filteredReason(blocker({}), { ...none, users: ['batch'] })).toMatch(/not among/);
    expect(globMatch('web-*', 'web-eu-1')).toBe(true);
    expect(globMatch('web.*', 'webx1')).toBe(false);
  });

  it('the policy or the hook picks the targets, never protected ones', () => {
    const list = [blocker({ pid: 1 }), blocker({ pid: 2, protectedReason: 'a prisma-zd session' }), blocker({ pid: 3, filteredReason: 'excluded' })];
    expect(chooseTargets(list, 'terminate', undefined)).toEqual({ action: 'terminate', pids: [1] });
    expect(chooseTargets(list, 'show', 'cancel')).toEqual({ action: 'cancel', pids: [1] });
    expect(chooseTargets(list, 'show', { action: 'terminate', pids: [2, 3], reason: 'r' })).toEqual({ action: 'terminate', pids: [3], reason: 'r' });
  });
});
