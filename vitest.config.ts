import { defineConfig } from 'vitest/config';

// Two projects: the pure core runs in milliseconds; integration tests get one real
// PostgreSQL server for the whole run (test/support/global-setup.ts).
export default defineConfig({
  test: {
    // Integration tests mostly wait on PostgreSQL and child processes (prisma, prisma-zd):
    // more workers than the 2 cores keep both busy (vitest's default would be 1 here).
    maxWorkers: Number(process.env.PRISMA_ZD_TEST_WORKERS ?? 4),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/core/**/*.test.ts', 'test/corpus/**/*.test.ts'],
          // A few replay the whole corpus (~1 s alone): room for a loaded machine.
          testTimeout: 30_000,
          exclude: ['**/node_modules/**', '**/dist/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'packages/cli/**/*.test.ts', 'packages/pg/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', 'test/corpus/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
