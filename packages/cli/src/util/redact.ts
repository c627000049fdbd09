/**
 * Secrets never leave prisma-zd: connection URLs are printed without their password,
 * and any password seen in a URL is scrubbed from every line we print or store.
 *
 * Mistyped URLs count too (`postgres:SECRET@host/db`, `postgresql:/user:SECRET@host`):
 * whatever stands between the scheme's `:` (or the user's) and the last `@` is taken
 * for a password, whether or not `new URL()` reads one there.
 */
const secrets = new Set<string>();

interface Credentials {
  /** Text before the part that is taken for a password (scheme, slashes, user and `:`). */
  head: string;
  /** The part taken for a password ('' when there is none). */
  password: string;
  /** `@` and everything after it. */
  tail: string;
}

/**
 * Splits `text` (one URL-like token) at its credentials: the text before its last `@`,
 * after the scheme and its slashes. `user:pass` keeps `user`; without a `:`, the whole of
 * it counts as a password unless the scheme is followed by `//` (then it is a user name).
 */
function credentialsOf(text: string): Credentials | undefined {
  const m = /^(\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?)(\/*)([^]*)$/.exec(text);
  if (!m) return undefined;
  const [, scheme = '', slashes = '', rest = ''] = m;
  const at = rest.lastIndexOf('@');
  if (at < 0) return undefined;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon >= 0) return { head: scheme + slashes + userinfo.slice(0, colon + 1), password: userinfo.slice(colon + 1), tail: rest.slice(at) };
  if (slashes === '//' || !scheme) return undefined;
  return { head: scheme + slashes, password: userinfo, tail: rest.slice(at) };
}

const PASSWORD_PARAM = /([?&;]password=)([^&#\s"'`]*)/gi;

/** `text` (one URL, well-formed or not) with its password and `password=` parameters replaced by `****`. */
export function maskCredentials(text: string): string {
  const c = credentialsOf(text);
  // `USER:PASSWORD@HOST` in a hint is a placeholder (a real password "PASSWORD" is still scrubbed as a remembered secret).
  const masked = c && c.password && c.password !== 'PASSWORD' ? `${c.head}****${c.tail}` : text;
  return masked.replace(PASSWORD_PARAM, '$1****');
}

function remember(secret: string): void {
  if (!secret) return;
  secrets.add(secret);
  for (const decode of [decodeURIComponent, (s: string) => decodeURIComponent(s.replace(/\+/g, ' '))]) {
    try {
      secrets.add(decode(secret));
    } catch {
      // Not percent-encoded: the raw text is remembered.
    }
  }
}

/** Remembers the password of `url` (if any, also of a malformed one) so that `redact` scrubs it everywhere. */
export function registerSecretsFrom(url: string | undefined): void {
  if (!url) return;
  try {
    const u = new URL(url);
    if (u.password) remember(u.password);
    const p = u.searchParams.get('password');
    if (p) secrets.add(p);
  } catch {
    // Not a URL for `new URL()`: the text itself is searched below.
  }
  remember(credentialsOf(url.trim())?.password ?? '');
  for (const m of url.matchAll(PASSWORD_PARAM)) remember(m[2] ?? '');
}

/** `postgresql://user:****@host:5432/db?…` — the password (and a `password=` parameter) replaced. */
export function redactUrl(url: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) {
    try {
      const u = new URL(url);
      if (u.password) u.password = '****';
      if (u.searchParams.has('password')) u.searchParams.set('password', '****');
      return redact(maskCredentials(u.toString()));
    } catch {
      // Malformed: masked as text below.
    }
  }
  return redact(maskCredentials(url));
}

/** A PostgreSQL URL (well-formed or not) or any `scheme://` URL in running text, up to a space or quote. */
const URL_TOKEN = /(?:\bpostgres(?:ql)?:|\b[A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s"'`<>]*/g;

/** `password=` anywhere (what `PASSWORD_PARAM` needs to match). */
const PASSWORD_WORD = /password=/i;

/**
 * `maskCredentials(token)`, answered at once for the many URLs without credentials (a
 * report's documentation links): without an `@` nothing is taken for a password, and
 * without `password=` no parameter is masked, so the token is returned as it is.
 */
function maskToken(token: string): string {
  return token.includes('@') || PASSWORD_WORD.test(token) ? maskCredentials(token) : token;
}

/** Where `maskCredentials` may change a URL token: an `@` or a `password=` parameter. */
const CREDENTIAL_MARK = /@|password=/gi;
/** What ends a URL token (`URL_TOKEN`'s tail): a space or a quote. */
const TOKEN_END = /[\s"'`<>]/;

/**
 * `text.replace(URL_TOKEN, maskToken)`, reading only the runs of text (between spaces
 * and quotes) that hold an `@` or a `password=`: no URL token reaches past its run (its
 * prefix and its tail hold neither), and a run starts after a character `\b` counts as
 * a non-word one, as the text's start, so each run is replaced as it would be in place.
 * A report holds thousands of documentation links and none of them has credentials.
 */
function maskUrls(text: string): string {
  let out = '';
  let done = 0;
  CREDENTIAL_MARK.lastIndex = 0;
  for (let m = CREDENTIAL_MARK.exec(text); m; m = CREDENTIAL_MARK.exec(text)) {
    const at = m.index;
    if (at < done) continue;
    let start = at;
    while (start > done && !TOKEN_END.test(text[start - 1]!)) start--;
    let end = at + m[0].length;
    while (end < text.length && !TOKEN_END.test(text[end]!)) end++;
    out += text.slice(done, start) + text.slice(start, end).replace(URL_TOKEN, maskToken);
    done = end;
    CREDENTIAL_MARK.lastIndex = end;
  }
  return done === 0 ? text : out + text.slice(done);
}

/** Scrubs every remembered secret, and the password part of any URL, from `text`. */
export function redact(text: string): string {
  let out = maskUrls(text);
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('****');
  return out;
}
