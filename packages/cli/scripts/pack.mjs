/**
 * `prepack` / `postpack` of the published package (`node scripts/pack.mjs pre|post`).
 *
 * pre:  refuses `npm pack` / `npm publish`: npm leaves `"@prisma-zd/core": "workspace:*"` in
 *       the packed package.json, and installing such a tarball fails (EUNSUPPORTEDPROTOCOL);
 *       pnpm replaces it with the version. `--dry-run` writes no tarball and is let through.
 *       Then copies the rules' pages (docs/rules, read by `prisma-zd explain`) and the
 *       repository's README.md (the package's page on the registry) into the package.
 * post: removes the README.md copied by `pre` (docs/ is ignored by git; it stays).
 */
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(pkg, '../..');
const step = process.argv[2];

if (step === 'pre') {
  const agent = process.env.npm_config_user_agent ?? '';
  if (agent.startsWith('npm/') && process.env.npm_config_dry_run !== 'true') {
    console.error(
      'prisma-zd: pack and publish this package with pnpm (`pnpm pack`, `pnpm publish`): npm leaves ' +
        '"workspace:*" in its dependencies, and the tarball cannot be installed.',
    );
    process.exit(1);
  }
  rmSync(join(pkg, 'docs'), { recursive: true, force: true });
  cpSync(join(repo, 'docs/rules'), join(pkg, 'docs/rules'), { recursive: true });
  cpSync(join(repo, 'README.md'), join(pkg, 'README.md'));
} else if (step === 'post') {
  rmSync(join(pkg, 'README.md'), { force: true });
} else {
  console.error('usage: node scripts/pack.mjs pre|post');
  process.exit(2);
}
