import { createHash } from 'node:crypto';

/**
 * The checksum Prisma stores in `_prisma_migrations.checksum`: SHA-256 of the script's
 * bytes, in lowercase hex. Pass the file's bytes when you have them: a string is
 * hashed as UTF-8, which differs from the file if it was not valid UTF-8.
 */
export function migrationChecksum(script: string | Uint8Array): string {
  return createHash('sha256').update(script).digest('hex');
}
