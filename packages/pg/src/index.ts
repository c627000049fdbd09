/**
 * @prisma-zd/pg: node-postgres type parsers registered by type name and resolved to OIDs on
 * every new connection, so they stay right when the server behind a pooler changes.
 */
export { namedTypes, NamedTypes } from './named-types.js';
export type { NamedTypesClientClass, NamedTypesPoolClass } from './named-types.js';
export { NamedTypesOptionsError } from './options.js';
export { NamedTypesResolveError } from './errors.js';
export type { NamedTypesOptions, NamedTypesLogger } from './options.js';
export type { ServerChange, NamedTypesEvents } from './events.js';
export type { ServerTypes, ServerIdentity, ResolvedType, TypeChange, ChangeReason } from './resolve.js';
export { parseArray, parseHstore } from './parsers.js';
export type { TextParser, PgArray, Hstore } from './parsers.js';
