import { inject } from 'vitest';
import { createDatabase, createTemplate, type TestDatabase } from './postgres.js';

/** The run's server (started once by global-setup), as a URL factory. */
export function testServer() {
  const { url, major, kind } = inject('pg');
  return {
    major,
    kind,
    url(database = 'postgres') {
      const u = new URL(url);
      u.pathname = '/' + encodeURIComponent(database);
      return u.toString();
    },
  };
}

/** A fresh, empty database on the run's server (or a copy of `template`). */
export function freshDatabase(opts: { template?: string; prefix?: string } = {}): Promise<TestDatabase> {
  return createDatabase(testServer(), opts);
}

export function templateDatabase(prepare: (url: string) => Promise<void>, prefix?: string): Promise<string> {
  return createTemplate(testServer(), prepare, prefix);
}
