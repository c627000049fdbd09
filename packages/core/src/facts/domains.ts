/*
 * Domains: `CREATE DOMAIN`, `ALTER DOMAIN`, and what a column of a domain type inherits
 * from it. PostgreSQL checks a domain's constraints (CHECK and NOT NULL, along a chain of
 * domains over domains) on every value it stores, and a column of the domain without a
 * default of its own takes the domain's default (the first one up the chain). An array
 * of a domain is an array type: neither its constraints nor its default apply to the
 * column as a whole in these ways.
 */
import type { AlterDomainStmt, Constraint, CreateDomainStmt, Node } from 'libpg-query';
import { asNode, stringList } from '../sql/nodes.js';
import { renamedType } from './column-type.js';
import { display, refOfNames } from './context.js';
import type { NameRef, ReplayContext } from './context.js';
import { changedColumn } from './defaults.js';
import { relationKey } from './model.js';
import type { ColumnFacts, ColumnType, DomainConstraint, DomainFacts, SchemaState } from './model.js';
import { chooseName } from './names.js';
import { dropColumn, putTable } from './ops.js';

/** The domain a column type names (not an array of it), then the domains it is over, nearest first. */
export function domainChain(state: Pick<SchemaState, 'domains'>, type: ColumnType): DomainFacts[] {
  const chain: DomainFacts[] = [];
  if (type.arrayDims !== 0) return chain;
  let current: ColumnType | undefined = type;
  while (current?.schema !== undefined && current.arrayDims === 0) {
    const domain = state.domains.get(relationKey(current.schema, current.name));
    if (!domain || chain.includes(domain)) break;
    chain.push(domain);
    current = domain.base;
  }
  return chain;
}

/** The type at the bottom of a chain of domains (the type itself when it is no domain). */
export function baseType(state: Pick<SchemaState, 'domains'>, type: ColumnType): ColumnType {
  return domainChain(state, type).at(-1)?.base ?? type;
}

/** The domain named by `ref` (first on the search path), or undefined. */
export function findDomain(ctx: ReplayContext, ref: NameRef): DomainFacts | undefined {
  const key = ctx.lookup(ref, (k) => ctx.draft.domains.has(k));
  return key === undefined ? undefined : ctx.draft.domains.get(key);
}

/** `CREATE DOMAIN name [AS] type [DEFAULT …] [[CONSTRAINT c] NOT NULL | NULL | CHECK (…)]…`. */
export function createDomain(ctx: ReplayContext, stmt: CreateDomainStmt): void {
  const ref = refOfNames(stringList(stmt.domainname));
  const schema = ctx.creationSchema(ref);
  const key = relationKey(schema, ref.name);
  if (ctx.draft.domains.has(key) || ctx.draft.enums.has(key)) {
    ctx.note(`type ${display(ref)} already exists`);
    return;
  }
  if (!stmt.typeName) return;
  let domain: DomainFacts = { key, schema, name: ref.name, base: ctx.columnType(stmt.typeName), constraints: [], createdIn: ctx.migration };
  for (const node of stmt.constraints ?? []) {
    const constraint = asNode(node, 'Constraint');
    if (constraint?.contype === 'CONSTR_DEFAULT') domain = withDomainDefault(ctx, domain, constraint.raw_expr);
    else if (constraint?.contype === 'CONSTR_NULL') domain = { ...domain, constraints: domain.constraints.filter((c) => c.kind !== 'not-null') };
    else if (constraint) domain = withConstraint(ctx, domain, constraint);
  }
  ctx.draft.map('domains').set(key, domain);
  ctx.touch('domain', key, 'create', ctx.migration);
}

/** `ALTER DOMAIN … SET/DROP DEFAULT | SET/DROP NOT NULL | ADD/DROP/VALIDATE CONSTRAINT`. */
export function alterDomain(ctx: ReplayContext, stmt: AlterDomainStmt): void {
  const ref = refOfNames(stringList(stmt.typeName));
  const domain = findDomain(ctx, ref);
  if (!domain) {
    ctx.note(`domain ${display(ref)} is not in the replayed schema`);
    return;
  }
  let next: DomainFacts = domain;
  let change: string;
  switch (stmt.subtype) {
    case 'T':
      change = stmt.def ? 'set-default' : 'drop-default';
      next = withDomainDefault(ctx, domain, stmt.def);
      break;
    case 'O':
      change = 'set-not-null';
      next = withConstraint(ctx, domain, { contype: 'CONSTR_NOTNULL' });
      break;
    case 'N':
      change = 'drop-not-null';
      next = { ...domain, constraints: domain.constraints.filter((c) => c.kind !== 'not-null') };
      break;
    case 'C': {
      change = 'add-constraint';
      const constraint = asNode(stmt.def, 'Constraint');
      if (constraint) next = withConstraint(ctx, domain, constraint);
      break;
    }
    case 'X':
      change = 'drop-constraint';
      if (!domain.constraints.some((c) => c.name === stmt.name) && !stmt.missing_ok) ctx.note(`domain ${domain.key} has no constraint "${stmt.name ?? '?'}"`);
      next = { ...domain, constraints: domain.constraints.filter((c) => c.name !== stmt.name) };
      break;
    case 'V':
      change = 'validate-constraint';
      next = { ...domain, constraints: domain.constraints.map((c) => (c.name === stmt.name ? { ...c, notValid: false } : c)) };
      break;
    default:
      ctx.notUnderstood(`ALTER DOMAIN subcommand ${stmt.subtype ?? '?'} is not modelled`);
      return;
  }
  ctx.touch('domain', domain.key, 'alter', domain.createdIn, { change });
  ctx.draft.map('domains').set(domain.key, next);
}

/** `ALTER DOMAIN … RENAME CONSTRAINT a TO b`. */
export function renameDomainConstraint(ctx: ReplayContext, ref: NameRef, from: string, to: string): void {
  const domain = findDomain(ctx, ref);
  if (!domain?.constraints.some((c) => c.name === from)) {
    ctx.note(`constraint "${from}" of domain ${display(ref)} is not in the replayed schema`);
    return;
  }
  ctx.touch('domain', domain.key, 'alter', domain.createdIn, { change: 'rename-constraint' });
  ctx.draft.map('domains').set(domain.key, { ...domain, constraints: domain.constraints.map((c) => (c.name === from ? { ...c, name: to } : c)) });
}

/** Rename and/or move a domain; columns of its type and domains over it follow. */
export function moveDomain(ctx: ReplayContext, domain: DomainFacts, schema: string, name: string): void {
  const key = relationKey(schema, name);
  const moved = (type: ColumnType): boolean => type.schema === domain.schema && type.name === domain.name;
  ctx.draft.map('domains').delete(domain.key);
  ctx.draft.map('domains').set(key, { ...domain, key, schema, name });
  for (const other of [...ctx.draft.domains.values()]) {
    if (moved(other.base)) ctx.draft.map('domains').set(other.key, { ...other, base: renamedType(other.base, schema, name) });
  }
  const uses = (c: ColumnFacts): boolean => moved(c.type);
  for (const table of [...ctx.draft.tables.values()]) {
    if (!table.columns.some(uses)) continue;
    putTable(ctx, { ...table, columns: table.columns.map((c) => (uses(c) ? changedColumn(c, { type: renamedType(c.type, schema, name) }) : c)) });
  }
}

/** `DROP DOMAIN`: with CASCADE, the columns of its type (and of arrays of it) and the domains over it go too. */
export function dropDomain(ctx: ReplayContext, domain: DomainFacts, cascade: boolean, implicit = false): void {
  ctx.touch('domain', domain.key, 'drop', domain.createdIn, { implicit });
  ctx.draft.map('domains').delete(domain.key);
  const uses = (type: ColumnType): boolean => type.schema === domain.schema && type.name === domain.name;
  for (const other of [...ctx.draft.domains.values()]) {
    if (!uses(other.base)) continue;
    if (cascade) dropDomain(ctx, other, true, true);
    else ctx.note(`domain ${other.key} is still over ${domain.key}`);
  }
  for (const table of [...ctx.draft.tables.values()]) {
    for (const column of table.columns) {
      if (!uses(column.type)) continue;
      const current = ctx.draft.tables.get(table.key);
      if (cascade && current) dropColumn(ctx, current, column.name);
      else ctx.note(`column "${column.name}" of ${table.key} still uses domain ${domain.key}`);
    }
  }
}

function withDomainDefault(ctx: ReplayContext, domain: DomainFacts, expr: Node | undefined): DomainFacts {
  const { default: _d, defaultCalls: _c, ...rest } = domain;
  if (expr === undefined || asNode(expr, 'A_Const')?.isnull) return rest;
  const calls = [...functionCalls(expr, new Set())];
  return { ...rest, default: ctx.text(expr) ?? 'the default', ...(calls.length ? { defaultCalls: calls } : {}) };
}

function withConstraint(ctx: ReplayContext, domain: DomainFacts, constraint: Constraint): DomainFacts {
  const kind = constraint.contype === 'CONSTR_NOTNULL' ? 'not-null' : constraint.contype === 'CONSTR_CHECK' ? 'check' : undefined;
  if (kind === undefined) return domain;
  // NOT NULL is one property of the domain (a second one changes nothing).
  if (kind === 'not-null' && domain.constraints.some((c) => c.kind === 'not-null')) return domain;
  const taken = (name: string): boolean => domain.constraints.some((c) => c.name === name);
  const name = constraint.conname ?? chooseName(domain.name, undefined, kind === 'check' ? 'check' : 'not_null', taken);
  const expression = kind === 'check' ? ctx.text(constraint.raw_expr) : undefined;
  const added: DomainConstraint = { name, kind, ...(expression === undefined ? {} : { expression }), notValid: constraint.skip_validation === true };
  return { ...domain, constraints: [...domain.constraints, added] };
}

/** Unqualified names of the functions an expression calls. */
function functionCalls(value: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) functionCalls(v, out);
  } else if (value !== null && typeof value === 'object') {
    const name = stringList((value as { FuncCall?: { funcname?: Node[] } }).FuncCall?.funcname).at(-1);
    if (name !== undefined) out.add(name);
    for (const child of Object.values(value)) functionCalls(child, out);
  }
  return out;
}

/** A constraint a column of some domain type is held to, with the domain that has it. */
export interface InheritedConstraint {
  readonly domain: DomainFacts;
  readonly constraint: DomainConstraint;
}

/**
 * What a column of `type` gets from its domain and the domains that one is over: the
 * constraints PostgreSQL checks on its values, and the domain whose default it takes
 * when it has no default of its own (the nearest one with a default).
 */
export function fromDomains(state: Pick<SchemaState, 'domains'>, type: ColumnType): {
  readonly chain: readonly DomainFacts[];
  readonly constraints: readonly InheritedConstraint[];
  readonly defaultFrom?: DomainFacts;
} {
  const chain = domainChain(state, type);
  const constraints = chain.flatMap((domain) => domain.constraints.map((constraint) => ({ domain, constraint })));
  const defaultFrom = chain.find((d) => d.default !== undefined);
  return { chain, constraints, ...(defaultFrom ? { defaultFrom } : {}) };
}
