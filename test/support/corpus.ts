import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** `../shared/corpus` beside the repository: real Prisma histories (absent in a user's clone). */
export const CORPUS_DIR = resolve(REPO_ROOT, '..', 'shared', 'corpus');
export const CORPUS_PRESENT = existsSync(join(CORPUS_DIR, 'INDEX.tsv'));
if (!CORPUS_PRESENT) {
  console.warn(`[prisma-zd tests] ${CORPUS_DIR} is absent: corpus tests are skipped (they run in CI, where ../shared is present).`);
}

export interface CorpusProject {
  name: string;
  migrations: Array<{ name: string; sql: string }>;
}

export function corpusProjects(): CorpusProject[] {
  if (!CORPUS_PRESENT) return [];
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(CORPUS_DIR, d.name);
      const names = readdirSync(dir)
        .filter((n) => existsSync(join(dir, n, 'migration.sql')))
        .sort();
      return { name: d.name, migrations: names.map((n) => ({ name: n, sql: readFileSync(join(dir, n, 'migration.sql'), 'utf8') })) };
    });
}
