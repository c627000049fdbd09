import { migrationChecksum } from '../../migrations/checksum.js';
import type { RangeVar } from 'libpg-query';
import { asNode } from '../../sql/nodes.js';
import { parseSql, type ParsedSql, type Statement } from '../../sql/parse.js';
import { alterTableParts } from '../../zd/alter.js';
import { unmanagedView } from '../../zd/view.js';
import { createRule } from '../rule.js';

/**
 * The statements a migration runs on a database without prisma-zd, as text. A foreign
 * key or CHECK added NOT VALID and validated by a later statement of the migration (what
 * `rewrite` makes of an ADD CONSTRAINT … FOREIGN KEY or CHECK) counts as the plain ADD it was.
 */
function effect(text: string): string[] {
  const { parsed } = unmanagedView(parseSql(text));
  const validations = new Map<string, Statement>();
  for (const s of parsed.statements) {
    if (s.kind !== 'AlterTableStmt') continue;
    const n = (s as Statement<'AlterTableStmt'>).node;
    const cmds = (n.cmds ?? []).map((c) => asNode(c, 'AlterTableCmd'));
    if (cmds.length === 1 && cmds[0]?.subtype === 'AT_ValidateConstraint' && cmds[0].name) validations.set(validationKey(n.relation, cmds[0].name), s);
  }
  const folded = new Set<Statement>();
  const out: string[] = [];
  for (const s of parsed.statements) {
    if (folded.has(s)) continue;
    out.push(s.kind === 'AlterTableStmt' ? withoutNotValid(parsed, s as Statement<'AlterTableStmt'>, validations, folded) : s.text);
  }
  return out;
}

const validationKey = (relation: RangeVar | undefined, constraint: string) => `${relation?.schemaname ?? ''}.${relation?.relname ?? ''}.${constraint}`;

/** The statement's text without the NOT VALID of foreign keys and checks that a later statement validates (marking those validations folded). */
function withoutNotValid(parsed: ParsedSql, s: Statement<'AlterTableStmt'>, validations: ReadonlyMap<string, Statement>, folded: Set<Statement>): string {
  const cmds = (s.node.cmds ?? []).map((c) => asNode(c, 'AlterTableCmd'));
  const cuts: number[] = [];
  cmds.forEach((c, i) => {
    const con = asNode(c?.def, 'Constraint');
    if (c?.subtype !== 'AT_AddConstraint' || (con?.contype !== 'CONSTR_FOREIGN' && con?.contype !== 'CONSTR_CHECK') || !con.skip_validation || !con.conname) return;
    const validation = validations.get(validationKey(s.node.relation, con.conname));
    const end = alterTableParts(parsed, s)?.commands[i]?.end;
    if (!validation || validation.index < s.index || end === undefined || !/\sNOT\s+VALID$/i.test(parsed.text.slice(s.range.start, end))) return;
    folded.add(validation);
    cuts.push(end);
  });
  let text = s.text;
  for (const end of cuts.reverse()) {
    const local = end - s.range.start;
    text = text.slice(0, local).replace(/\s+NOT\s+VALID$/i, '') + text.slice(local);
  }
  return text;
}

export const rule = createRule({
  id: 'modified-migration',
  severity: 'error',
  summary: 'A migration that is already committed or applied was edited afterwards',
  check(ctx) {
    const { committed, appliedChecksum } = ctx.standing;
    const text = ctx.parsed.text;
    const applied = appliedChecksum !== undefined && appliedChecksum !== migrationChecksum(text);
    const edited = committed !== undefined && committed !== text;
    if (!applied && !edited) return;
    const where = applied ? 'applied to the database (its checksum in _prisma_migrations differs)' : 'committed';
    const previous = edited ? committed : undefined;
    const sameEffect = previous !== undefined && JSON.stringify(effect(previous)) === JSON.stringify(effect(text));
    if (sameEffect) {
      ctx.report({
        message: `${ctx.name} was edited after it was ${where}, without changing what it does on a database without prisma-zd (\`prisma-zd rewrite\` or comments): every database that already applied it has the old checksum, so \`prisma migrate dev\` there reports the migration as modified.`,
        help: 'Instead: rewrite migrations before they are committed. When adopting prisma-zd on an existing history on purpose, keep the change and tell the team; `prisma-zd rewrite` updates the checksum in your own development database.',
        severity: 'warning',
      });
      return;
    }
    ctx.report({
      message: `${ctx.name} was edited after it was ${where}: databases that already applied it (other developers, staging, production) keep the old version, and \`prisma migrate deploy\` never runs the new one there.`,
      help: `Instead: restore the ${applied ? 'applied' : 'committed'} version (\`git checkout ${ctx.standing.committedRef ?? 'HEAD'} -- ${ctx.path}\`) and make the change in a new migration (\`prisma migrate dev --create-only\`).`,
    });
  },
});
