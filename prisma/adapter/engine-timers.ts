/**
 * Lets the Prisma CLI exit as soon as its work is done.
 *
 * prisma@6.19.3's WebAssembly schema engine implements its timeouts (for instance the
 * 10 s limit on acquiring the migrate advisory lock) with a plain JS `setTimeout`
 * that it never clears: it imports `setTimeout` but no `clearTimeout`. So after
 * every `migrate deploy`/`status`/`dev`, the CLI process stays alive for ~10 s with
 * nothing left to do — and, because our adapter's connection only closes when the
 * process exits, it keeps holding the advisory lock (pg_locks objid 72707369), which
 * makes a following command wait for it.
 *
 * Timers armed from WebAssembly frames are therefore `unref()`ed: they still fire
 * while the engine waits for the database (a query in flight holds a referenced
 * socket), but they no longer keep an otherwise finished process alive. The native
 * engine has no such linger (it is a separate process the CLI ends).
 *
 * Set PRISMA_ZD_KEEP_ENGINE_TIMERS=1 to keep the engine's own behaviour (the linger).
 */
const PATCHED = Symbol.for('prisma-zd.sample.unrefEngineTimers');

export function unrefEngineTimers(): void {
  const g = globalThis as typeof globalThis & { [PATCHED]?: true };
  if (g[PATCHED] || process.env.PRISMA_ZD_KEEP_ENGINE_TIMERS === '1') return;
  g[PATCHED] = true;
  const original = g.setTimeout;
  const patched = function (this: unknown, ...args: Parameters<typeof setTimeout>) {
    const timer = original.apply(this, args);
    if (armedFromWebAssembly()) timer.unref();
    return timer;
  };
  g.setTimeout = Object.assign(patched, original) as typeof setTimeout;
}

function armedFromWebAssembly(): boolean {
  return (new Error().stack ?? '').includes('wasm://');
}
