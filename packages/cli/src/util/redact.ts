/**
 * Secrets never leave prisma-zd: connection URLs are printed without their password,
 * and any password seen in a URL is scrubbed from every line we print or store.
 */
const secrets = new Set<string>();

/** Remembers the password of `url` (if any) so that `redact` scrubs it everywhere. */
export function registerSecretsFrom(url: string | undefined): void {
  if (!url) return;
  try {
    const u = new URL(url);
    if (u.password) {
      secrets.add(u.password);
      secrets.add(decodeURIComponent(u.password));
    }
    const p = u.searchParams.get('password');
    if (p) secrets.add(p);
  } catch {
    // Not a URL: nothing to remember.
  }
}

/** `postgresql://user:****@host:5432/db?…` — the password (and a `password=` parameter) replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    if (u.searchParams.has('password')) u.searchParams.set('password', '****');
    return u.toString();
  } catch {
    return redact(url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:****@'));
  }
}

/** Scrubs every remembered secret, and the password part of any URL, from `text`. */
export function redact(text: string): string {
  let out = text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*):[^@\s]*@/g, '$1:****@');
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('****');
  return out;
}
