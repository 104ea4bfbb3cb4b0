import type Database from 'better-sqlite3';

/**
 * Migrations, in code so the store ships with its schema. Each entry runs once, in order, inside a
 * transaction; `schema_migrations` remembers which ran. Append, never edit a released entry.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE subscriptions (
     id TEXT PRIMARY KEY, tenant TEXT NOT NULL DEFAULT '', url TEXT NOT NULL,
     events TEXT NOT NULL, secrets TEXT NOT NULL, headers TEXT NOT NULL, metadata TEXT NOT NULL,
     paused INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0, disabled_reason TEXT,
     first_failure_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
   CREATE INDEX subscriptions_tenant ON subscriptions (tenant);
   CREATE TABLE messages (
     id TEXT PRIMARY KEY, tenant TEXT NOT NULL DEFAULT '', event_type TEXT NOT NULL, payload TEXT NOT NULL,
     idempotency_key TEXT, created_at INTEGER NOT NULL,
     UNIQUE (tenant, idempotency_key));
   CREATE TABLE deliveries (
     id TEXT PRIMARY KEY, message_id TEXT NOT NULL REFERENCES messages (id),
     subscription_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL, lease_owner TEXT, lease_expires_at INTEGER,
     last_status INTEGER, last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
   CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
   CREATE INDEX deliveries_lease ON deliveries (status, lease_expires_at);
   CREATE INDEX deliveries_subscription ON deliveries (subscription_id, status);
   CREATE INDEX deliveries_message ON deliveries (message_id);
   CREATE TABLE attempts (
     id INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT NOT NULL, n INTEGER NOT NULL,
     started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, status INTEGER, response TEXT,
     error_class TEXT, error TEXT);
   CREATE INDEX attempts_delivery ON attempts (delivery_id, n);`,
  // Listing newest first, overall and per subscription, with keyset pages (the management API). Both
  // keys are fixed at insert, so claims and attempts, which change status and times, never touch them.
  `CREATE INDEX deliveries_created ON deliveries (created_at, id);
   CREATE INDEX deliveries_subscription_created ON deliveries (subscription_id, created_at, id);`,
];

export function migrateSqlite(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    // IMMEDIATE: two processes opening a fresh file at once must not both run a migration.
    db.transaction(() => {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version);
      if (again) return;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
    }).immediate();
  });
}
