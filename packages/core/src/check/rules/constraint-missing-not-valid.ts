import type { Constraint, Node } from 'libpg-query';
import { chooseName, chooseNameAddition } from '../../facts/names.js';
import { quoteIdent } from '../../sql/ident.js';
import { asNode, stringList } from '../../sql/nodes.js';
import { commandRange, tableCommands } from '../helpers.js';
import type { CheckStatement, RuleContext } from '../context.js';
import { resolveName } from '../../facts/context.js';
import { domainChain } from '../../facts/domains.js';
import type { ColumnFacts, TableFacts } from '../../facts/model.js';
import { createRule } from '../rule.js';

/** Is `name` a constraint of some table of `schema` before the statement (PostgreSQL picks a free name per schema)? */
function constraintNameTaken(ctx: RuleContext, schema: string, name: string): boolean {
  for (const t of ctx.facts.before.tables.values()) if (t.schema === schema && t.constraints.some((c) => c.name === name)) return true;
  return false;
}

/**
 * Tables that existed before this migration with a column of the domain `names` or of a
 * domain over it (PostgreSQL checks those too). A domain the replay does not know (made
 * outside the migrations) is matched by name.
 */
function tablesUsingDomain(ctx: RuleContext, s: CheckStatement, names: readonly string[]): TableFacts[] {
  const key = s.facts.touches.find((t) => t.object === 'domain')?.key;
  const name = names.at(-1);
  const schema = names.length > 1 ? names.at(-2) : undefined;
  const uses = (c: ColumnFacts): boolean =>
    key !== undefined
      ? c.type.schema !== undefined && domainChain(s.facts.before, c.type).some((d) => d.key === key)
      : c.type.name === name && (schema === undefined || c.type.schema === undefined || c.type.schema === schema);
  return [...s.facts.before.tables.values()].filter((t) => t.createdIn !== ctx.name && t.columns.some(uses));
}

/** `ALTER DOMAIN … ADD CONSTRAINT` without NOT VALID: every column of the domain is checked under a SHARE lock on its table. */
function checkDomains(ctx: RuleContext): void {
  for (const s of ctx.plain) {
    if (s.statement.kind !== 'AlterDomainStmt') continue;
    const node = s.statement.node as { subtype?: string; typeName?: Node[]; def?: Node };
    const con = asNode(node.def, 'Constraint') as Constraint | undefined;
    if (node.subtype !== 'C' || !con || con.skip_validation) continue;
    const names = stringList(node.typeName);
    const tables = tablesUsingDomain(ctx, s, names);
    if (tables.length === 0) continue;
    const domain = names.map(quoteIdent).join('.');
    const list = tables.map((t) => ctx.displayTable(t)).join(', ');
    const name = con.conname === undefined ? '"<name>"' : quoteIdent(con.conname);
    ctx.report({
      at: s,
      message: `ALTER DOMAIN ${domain} ADD ${con.conname === undefined ? '' : `CONSTRAINT ${name} `}checks every value of the domain in ${list} while holding a SHARE lock on ${tables.length > 1 ? 'each' : 'it'}: writes to ${list} wait until the check is done.`,
      help: `Instead: add it with NOT VALID (no scan; new values are checked at once). \`ALTER DOMAIN ${domain} VALIDATE CONSTRAINT ${name};\` takes the same SHARE locks for its check: run it at a quiet time in a later migration, or leave the constraint NOT VALID.`,
      lock: 'SHARE',
      table: tables[0]!.key,
    });
  }
}

export const rule = createRule({
  id: 'constraint-missing-not-valid',
  severity: 'error',
  summary: 'FOREIGN KEY or CHECK added to an existing table (or a domain it uses) without NOT VALID (or validated in the same transaction)',
  check(ctx) {
    checkDomains(ctx);
    for (const { s, table, command, cmd } of tableCommands(ctx)) {
      const t = ctx.displayTable(table);
      const con = asNode(cmd.def, 'Constraint') as Constraint | undefined;
      const at = () => ({ at: s, ...commandRange(command), table: table.key });
      if (cmd.subtype === 'AT_AddConstraint' && con && !con.skip_validation) {
        const name = con.conname === undefined ? undefined : quoteIdent(con.conname);
        if (con.contype === 'CONSTR_FOREIGN') {
          // Unnamed (`ADD FOREIGN KEY …`, Prisma 2): the name PostgreSQL gives it, to validate it by.
          const fkName = name ?? quoteIdent(chooseName(table.name, chooseNameAddition(stringList(con.fk_attrs)), 'fkey', (n) => constraintNameTaken(ctx, table.schema, n)));
          const what = name === undefined ? `ADD FOREIGN KEY (unnamed: PostgreSQL names it ${fkName})` : `ADD CONSTRAINT ${name} FOREIGN KEY`;
          const ref = con.pktable?.relname === undefined ? 'the referenced table' : quoteIdent(con.pktable.relname);
          // A key that references its own table (a tree: parent, replies) locks that one table.
          const itself = con.pktable !== undefined && resolveName(s.facts.searchPath, con.pktable, (k) => s.facts.before.tables.has(k)) === table.key;
          const locks = itself
            ? `a SHARE ROW EXCLUSIVE lock on ${t} (the key references ${t} itself): writes to ${t} wait`
            : `SHARE ROW EXCLUSIVE locks on ${t} and ${ref}: writes to both wait`;
          const change = con.conname === undefined ? undefined : ctx.rewriteChange(s, 'validate-later', quoteIdent(con.conname));
          // PostgreSQL before 18 refuses NOT VALID on a partitioned table's foreign key (measured on 14): the partitions first.
          const partitioned = table.partitioned === true && ctx.postgresVersion < 18;
          ctx.report({
            ...at(),
            message: `${what} on existing table ${t} checks every row of ${t} while holding ${locks} until the check is done.`,
            help: change
              ? 'Instead: run `prisma-zd rewrite`: it adds the foreign key NOT VALID (a brief lock) and `prisma-zd deploy` validates it after the migration (reads and writes continue).'
              : partitioned
                ? `Instead: ${t} is partitioned, and PostgreSQL before 18 cannot add a NOT VALID foreign key to a partitioned table: add the same key to each partition with NOT VALID and VALIDATE it there in a later migration (reads and writes continue), then add it to ${t}: PostgreSQL attaches each partition's valid key instead of adding another.`
                : `Instead: add it with NOT VALID (a brief lock) and run \`ALTER TABLE ${t} VALIDATE CONSTRAINT ${fkName};\` in a later migration (reads and writes continue).`,
            lock: 'SHARE ROW EXCLUSIVE',
            ...(change ? { rewrite: change } : {}),
          });
        } else if (con.contype === 'CONSTR_CHECK') {
          const change = name === undefined ? undefined : ctx.rewriteChange(s, 'validate-later', name);
          ctx.report({
            ...at(),
            message: `${name === undefined ? 'ADD CHECK (unnamed)' : `ADD CONSTRAINT ${name} CHECK`} on existing table ${t} checks every row under an ACCESS EXCLUSIVE lock: every read and write of ${t} waits until the check is done.`,
            help: change
              ? 'Instead: run `prisma-zd rewrite`: it adds the check NOT VALID (a brief lock; new writes are checked at once) and `prisma-zd deploy` validates it after the migration (reads and writes continue).'
              : name === undefined
                ? `Instead: name it and add it with NOT VALID (\`ADD CONSTRAINT "<name>" CHECK (…) NOT VALID\`, a brief lock; new writes are checked at once), then run \`ALTER TABLE ${t} VALIDATE CONSTRAINT "<name>";\` in a later migration (reads and writes continue); or name it and let \`prisma-zd rewrite\` do both.`
                : `Instead: add it with NOT VALID (a brief lock; new writes are checked at once) and run \`ALTER TABLE ${t} VALIDATE CONSTRAINT ${name};\` in a later migration (reads and writes continue).`,
            lock: 'ACCESS EXCLUSIVE',
            ...(change ? { rewrite: change } : {}),
          });
        }
      }
      if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name !== undefined) {
        // NOT VALID then VALIDATE in one transaction: the ADD's lock is held through the scan.
        const added = ctx.statements.find(
          (o) => o !== s && o.tx.id === s.tx.id && o.facts.touches.some((x) => x.object === 'constraint' && x.action === 'create' && x.key.endsWith(`.${quoteIdent(cmd.name!)}`) && x.key.startsWith(table.key)),
        );
        if (!added || added.position > s.position) continue;
        const name = quoteIdent(cmd.name);
        ctx.report({
          ...at(),
          message: `VALIDATE CONSTRAINT ${name} runs in the same transaction that added it NOT VALID: the lock the ADD took on ${t} is held for the whole validation scan, as if NOT VALID were not there.`,
          help: `Instead: move \`ALTER TABLE ${t} VALIDATE CONSTRAINT ${name};\` to a later migration (or, for a foreign key, let \`prisma-zd rewrite\` postpone it).`,
          lock: 'ACCESS EXCLUSIVE',
        });
      }
    }
  },
});
