/**
 * Prisma's config of this example: the sample project's schema (../../prisma) with this
 * folder's migrations — the sample's history as `prisma-zd rewrite --all` leaves it,
 * which is what a team that uses prisma-zd commits.
 *
 * Like the sample project, it runs prisma@6.19.3's WebAssembly schema engine offline
 * through the sample's adapter, which executes a migration.sql the way the native
 * engine does (see ../../prisma/README.md). In your project, keep your own config: the
 * testing kit uses it as it is.
 */
import { defineConfig } from 'prisma/config';
import { unrefEngineTimers } from '../../prisma/adapter/engine-timers.js';
import { execModeFrom, sampleAdapter } from '../../prisma/adapter/index.js';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: '../../prisma/schema.prisma',
  migrations: { path: 'migrations' },
  adapter: async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set.');
    unrefEngineTimers();
    return sampleAdapter({ url, mode: execModeFrom(process.env.PRISMA_ZD_EXEC_MODE) });
  },
});
