import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresStore } from '../../../runtime/store/postgres.js';
import { sqliteStore } from '../../../runtime/store/sqlite.js';
import type { Store } from '../../../runtime/store/types.js';

/** PostgreSQL for the tests: trust auth on loopback; override with HOOKGEN_PG_URL. */
export const PG_URL = process.env.HOOKGEN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** In CI a missing PostgreSQL is a failure, not a skip: the PostgreSQL claims would go untested. */
export const pgAvailable = await reachable();
if (!pgAvailable && process.env.CI) throw new Error(`PostgreSQL is not reachable at ${PG_URL}`);

/** A fresh, empty database for one test: a temp SQLite file or a new PostgreSQL schema. */
export interface StoreFixture {
  store: Store;
  /** Another store on the same database (another connection, as another process would have). */
  another(): Promise<Store>;
  /** Where it lives, for child processes: a file path or `postgres-url#schema`. */
  location: string;
  cleanup(): Promise<void>;
}

export type StoreKind = 'sqlite' | 'postgres';

export async function makeStore(kind: StoreKind): Promise<StoreFixture> {
  const opened: Store[] = [];
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hookgen-send-'));
    const path = join(dir, 'send.db');
    const open = async () => {
      const s = sqliteStore({ path });
      opened.push(s);
      return s;
    };
    return {
      store: await open(), another: open, location: path,
      async cleanup() {
        for (const s of opened) await s.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const open = async () => {
    const s = await postgresStore({ connectionString: PG_URL, schema });
    opened.push(s);
    return s;
  };
  return {
    store: await open(), another: open, location: `${PG_URL}#${schema}`,
    async cleanup() {
      for (const s of opened) await s.close().catch(() => {});
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

if (!pgAvailable) console.warn(`PostgreSQL not reachable at ${PG_URL}: its store tests are skipped`);
export const STORE_KINDS: StoreKind[] = pgAvailable ? ['sqlite', 'postgres'] : ['sqlite'];
