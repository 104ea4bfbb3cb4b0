import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { postgresStore, sqliteStore, type Store } from '../../runtime/index.js';

/** `--store`: where the sender keeps its subscriptions and deliveries; also read from HOOKGEN_STORE. */
export const storeFlag = Flags.string({
  description: 'A SQLite file path, or a PostgreSQL URL (postgres://user@host/db, `?schema=name` for a schema other than hookgen).',
  env: 'HOOKGEN_STORE',
});

export class StoreOpenError extends Error {}

const isPostgres = (location: string) => /^postgres(?:ql)?:\/\//i.test(location);

/** Where a store is, for messages: a PostgreSQL URL without its password. */
export function describeStore(location: string): string {
  if (!isPostgres(location)) return resolve(location);
  const url = new URL(location);
  if (url.password) url.password = '***';
  return url.href;
}

/**
 * Opens the store named by `--store`: a `postgres://` or `postgresql://` URL is PostgreSQL (a
 * `schema` query parameter picks the schema), anything else a SQLite file. Only commands that set
 * things up (`create`: a subscription, a worker) may create a missing SQLite file; the others say
 * that it is missing, so a mistyped path is not read as an empty store.
 */
export async function openStore(location: string | undefined, options: { create: boolean }): Promise<Store> {
  if (!location) throw new StoreOpenError('no store: pass --store <sqlite path | postgres URL> or set HOOKGEN_STORE');
  if (isPostgres(location)) {
    const url = new URL(location);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    try {
      return await postgresStore({ connectionString: url.href, max: 4, ...(schema ? { schema } : {}) });
    } catch (error) {
      throw new StoreOpenError(`cannot open the PostgreSQL store at ${describeStore(location)}: ${(error as Error).message}`);
    }
  }
  if (!options.create && !existsSync(location)) {
    throw new StoreOpenError(`no store at ${resolve(location)}: check --store (a subscription or a worker creates it)`);
  }
  try {
    return sqliteStore({ path: location });
  } catch (error) {
    throw new StoreOpenError(`cannot open the SQLite store at ${resolve(location)}: ${(error as Error).message}`);
  }
}
