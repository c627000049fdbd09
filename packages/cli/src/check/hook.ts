/**
 * The git pre-commit hook's entry: `prisma-zd check --staged` without the command-line
 * parser and the other commands, so that a commit that touches no migration costs
 * little more than starting node. The same library function and renderer as
 * `commands/check.ts`; `prisma-zd install-hook` writes a hook that runs this file.
 */
import { renderPretty } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { paint, processOutput } from '../util/output.js';
import { redact } from '../util/redact.js';
import { runCheck } from './run.js';
import { tuneForShortRuns } from './v8-flags.js';

tuneForShortRuns({ restart: true });
const out = processOutput();
try {
  const result = await runCheck({ staged: true });
  for (const note of result.notes) out.err(note);
  if (result.report.migrations.length) out.err(renderPretty(result.report, { color: out.color }));
  if (result.exit !== ExitCode.Ok) out.err(paint(out, 'dim', 'The commit was stopped by prisma-zd (git commit --no-verify skips the hook).'));
  process.exitCode = result.exit;
} catch (e) {
  if (e instanceof UserError) {
    out.err(`${paint(out, 'red', 'Error')} ${e.code}: ${e.message}`);
    if (e.hint) out.err(`${paint(out, 'dim', 'hint:')} ${e.hint}`);
    process.exitCode = e.exit;
  } else {
    out.err(redact(`prisma-zd hit a bug. Please report it with this trace:\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
    process.exitCode = ExitCode.Internal;
  }
}
