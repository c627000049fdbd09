import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample } from '../examples.js';

await initParser();

const ID = 'enabling-row-level-security';
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it('reports ENABLE ROW LEVEL SECURITY on an existing table with no policy', () => {
    const [d, ...rest] = found('ALTER TABLE "Post" ENABLE ROW LEVEL SECURITY;');
    expect(rest).toEqual([]);
    expect([d!.severity, d!.table?.name]).toEqual(['warning', 'Post']);
    expect(d!.message).toContain('no row at all');
  });
  it('reports FORCE, and names the policies created in the same migration', () => {
    const [d] = found('ALTER TABLE "Post" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\nCREATE POLICY p ON "Post" USING (true);');
    expect(d!.message).toContain('policies created in this migration');
    expect(found('ALTER TABLE "Post" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;')).toHaveLength(2);
  });
  it('accepts a table created in the same migration, DISABLE and NO FORCE', () => {
    expect(found('CREATE TABLE "T" ("id" INTEGER);\nALTER TABLE "T" ENABLE ROW LEVEL SECURITY;')).toEqual([]);
    expect(found('ALTER TABLE "Post" DISABLE ROW LEVEL SECURITY;\nALTER TABLE "Post" NO FORCE ROW LEVEL SECURITY;')).toEqual([]);
  });
});
