import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample } from '../examples.js';

await initParser();

const ID = 'attaching-partition-without-check';
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

const EVENTS = `CREATE TABLE "Event" ("id" INTEGER NOT NULL, "at" DATE NOT NULL) PARTITION BY RANGE ("at");
CREATE TABLE "Event_2024" ("id" INTEGER NOT NULL, "at" DATE NOT NULL);
`;
const ATTACH = `ALTER TABLE "Event" ATTACH PARTITION "Event_2024" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');`;

describe(ID, () => {
  it('reports ATTACH PARTITION of an existing table with no CHECK', () => {
    const [d, ...rest] = found(ATTACH, { history: [EVENTS] });
    expect(rest).toEqual([]);
    expect([d!.lock, d!.table?.name, d!.loc.start.line]).toEqual(['ACCESS EXCLUSIVE', 'Event_2024', 1]);
  });
  it('reports it when the partitioned table is new and the table attached is not', () => {
    expect(found(`CREATE TABLE "Event" ("id" INTEGER NOT NULL, "at" DATE NOT NULL) PARTITION BY RANGE ("at");\n${ATTACH}`, { history: ['CREATE TABLE "Event_2024" ("id" INTEGER NOT NULL, "at" DATE NOT NULL);'] })).toHaveLength(1);
  });
  it('accepts a table with a valid CHECK, or one created in the same migration', () => {
    expect(found(ATTACH, { history: [EVENTS, `ALTER TABLE "Event_2024" ADD CONSTRAINT "b" CHECK ("at" >= '2024-01-01' AND "at" < '2025-01-01');`] })).toEqual([]);
    expect(found(`${EVENTS}${ATTACH}`)).toEqual([]);
  });
  it('still reports it when the CHECK is NOT VALID', () => {
    expect(found(ATTACH, { history: [EVENTS, `ALTER TABLE "Event_2024" ADD CONSTRAINT "b" CHECK ("at" >= '2024-01-01') NOT VALID;`] })).toHaveLength(1);
  });
});
