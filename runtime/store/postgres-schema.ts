import type pg from 'pg';

/** Same tables as SQLite (jsonb for JSON, bigint epoch ms for times); append-only list of migrations. */
const MIGRATIONS: string[] = [
  `CREATE TABLE subscriptions (
     id text PRIMARY KEY, tenant text NOT NULL DEFAULT '', url text NOT NULL,
     events jsonb NOT NULL, secrets jsonb NOT NULL, headers jsonb NOT NULL, metadata jsonb NOT NULL,
     paused boolean NOT NULL DEFAULT false, disabled boolean NOT NULL DEFAULT false, disabled_reason text,
     first_failure_at bigint, created_at bigint NOT NULL, updated_at bigint NOT NULL);
   CREATE INDEX subscriptions_tenant ON subscriptions (tenant);
   CREATE TABLE messages (
     id text PRIMARY KEY, tenant text NOT NULL DEFAULT '', event_type text NOT NULL, payload text NOT NULL,
     idempotency_key text, created_at bigint NOT NULL,
     UNIQUE (tenant, idempotency_key));
   CREATE TABLE deliveries (
     id text PRIMARY KEY, message_id text NOT NULL REFERENCES messages (id),
     subscription_id text NOT NULL, status text NOT NULL, attempts integer NOT NULL DEFAULT 0,
     next_attempt_at bigint NOT NULL, lease_owner text, lease_expires_at bigint,
     last_status integer, last_error text, created_at bigint NOT NULL, updated_at bigint NOT NULL);
   CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
   CREATE INDEX deliveries_lease ON deliveries (status, lease_expires_at);
   CREATE INDEX deliveries_subscription ON deliveries (subscription_id, status);
   CREATE INDEX deliveries_message ON deliveries (message_id);
   CREATE TABLE attempts (
     id bigserial PRIMARY KEY, delivery_id text NOT NULL, n integer NOT NULL,
     started_at bigint NOT NULL, duration_ms integer NOT NULL, status integer, response text,
     error_class text, error text);
   CREATE INDEX attempts_delivery ON attempts (delivery_id, n);`,
  // Listing newest first, overall and per subscription, with keyset pages (the management API). Both
  // keys are fixed at insert, so claims and attempts, which change status and times, never touch them.
  `CREATE INDEX deliveries_created ON deliveries (created_at, id);
   CREATE INDEX deliveries_subscription_created ON deliveries (subscription_id, created_at, id);`,
];

/** An arbitrary constant: the advisory lock that keeps two processes from migrating at once. */
const MIGRATION_LOCK = 724_190_331;

export async function migratePostgres(client: pg.PoolClient, schema: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const [index, sql] of MIGRATIONS.entries()) {
      if (applied.has(index + 1)) continue;
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [index + 1, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
