/**
 * Prisma's config for the sample project: prisma@6.19.3's WebAssembly schema engine
 * (`engine: 'js'`, the only one that runs offline) through `./adapter`, which executes
 * `migration.sql` like a real engine (see adapter/index.ts).
 *
 * Environment:
 *   DATABASE_URL               the database (URL parameters such as `options` and
 *                              `application_name` reach the session untouched;
 *                              `?schema=` sets search_path as the native engine does)
 *   SHADOW_DATABASE_URL        optional: the shadow database for `migrate dev`/`diff`;
 *                              without it a temporary one is created and dropped
 *   PRISMA_ZD_EXEC_MODE        `whole-file` (default) or `per-statement`
 *   PRISMA_ZD_MIGRATIONS_DIR   optional: another migrations folder (relative paths
 *                              are relative to this file)
 *   PRISMA_ZD_KEEP_ENGINE_TIMERS=1  keep the engine's ~10 s linger after each command
 *                              (see adapter/engine-timers.ts)
 *
 * Paths here are relative to this file, so a copy of the project (schema, config,
 * adapter, migrations) works from any directory.
 */
import { defineConfig } from 'prisma/config';
import { unrefEngineTimers } from './adapter/engine-timers.js';
import { execModeFrom, sampleAdapter } from './adapter/index.js';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'schema.prisma',
  migrations: { path: process.env.PRISMA_ZD_MIGRATIONS_DIR || 'migrations' },
  adapter: async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set: the sample project needs a PostgreSQL URL.');
    unrefEngineTimers();
    return sampleAdapter({
      url,
      shadowUrl: process.env.SHADOW_DATABASE_URL || undefined,
      mode: execModeFrom(process.env.PRISMA_ZD_EXEC_MODE),
    });
  },
});
