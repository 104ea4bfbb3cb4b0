export type * from './types.js';
export { sqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { postgresStore, type PostgresStoreOptions } from './postgres.js';
export { matchesEvent } from './event-filter.js';
