import type pg from 'pg';
import { matchesEvent } from './event-filter.js';
import { newId } from './ids.js';
import { migratePostgres, quoteIdent } from './postgres-schema.js';
import { CLAIM_COLUMNS, EMPTY_COUNTS, toAttempt, toDelivery, toMessage, toSubscription, truncate } from './rows.js';
import type { ClaimedDelivery, DeliveryStatus, Store, SubscriptionPatch } from './types.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** The schema holding the tables (default `hookgen`); created and migrated on first use. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
}

const MAX_TEXT = 20_000;
const PATCH_COLUMNS: Record<keyof SubscriptionPatch, string> = {
  url: 'url', events: 'events', secrets: 'secrets', headers: 'headers', metadata: 'metadata',
  paused: 'paused', disabled: 'disabled', disabledReason: 'disabled_reason', firstFailureAt: 'first_failure_at',
};
const DUE = `((d.status = 'pending' AND d.next_attempt_at <= $1) OR (d.status = 'inflight' AND d.lease_expires_at <= $1))`;

type Row = Record<string, unknown>;

/**
 * The store for many workers on many machines. Claims lock candidate rows with `FOR UPDATE SKIP
 * LOCKED` (concurrent claimers skip each other's rows instead of waiting) and commit the lease before
 * any HTTP call, so no connection is held while a receiver is slow. Publish NOTIFYs; workers LISTEN.
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<Store> {
  const schema = options.schema ?? 'hookgen';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new Error(`schema \`${schema}\`: letters, digits and _ only`);
  // Loaded on first use, like better-sqlite3: receivers-only users never load it.
  const { default: pgModule } = await import('pg');
  const pool = new pgModule.Pool({ connectionString: options.connectionString, max: options.max ?? 10, options: `-c search_path=${schema}` });
  // An idle client's network error must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const client = await pool.connect();
  try {
    await migratePostgres(client, schema);
  } finally {
    client.release();
  }
  const channel = `hookgen_work_${schema}`.toLowerCase();

  async function tx<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const result = await work(c);
      await c.query('COMMIT');
      return result;
    } catch (error) {
      await c.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      c.release();
    }
  }
  const one = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows[0] as Row | undefined;

  /** Claim: pick candidates, lock their endpoints when capped, lock the rows (SKIP LOCKED), lease them. */
  async function claim(c: pg.PoolClient, o: Parameters<Store['claimDue']>[0]): Promise<ClaimedDelivery[]> {
    let ids: string[];
    if (o.perEndpointLimit === undefined) {
      const { rows } = await c.query<{ id: string }>(
        `SELECT d.id FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
         WHERE ${DUE} AND NOT s.paused AND NOT s.disabled
         ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED`,
        [o.now, o.limit],
      );
      ids = rows.map((r) => r.id);
    } else {
      const cap = o.perEndpointLimit;
      // Candidates: each endpoint's earliest due rows, at most its cap minus what it has in flight.
      // Asking for twice the limit leaves room for rows another claimer is locking right now.
      const { rows: candidates } = await c.query<{ id: string; subscription_id: string }>(
        `WITH inflight AS (
           SELECT subscription_id, count(*) AS n FROM deliveries WHERE status = 'inflight' AND lease_expires_at > $1 GROUP BY subscription_id),
         due AS (
           SELECT d.id, d.subscription_id, d.next_attempt_at,
             row_number() OVER (PARTITION BY d.subscription_id ORDER BY d.next_attempt_at, d.id) AS rn
           FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
           WHERE ${DUE} AND NOT s.paused AND NOT s.disabled)
         SELECT due.id, due.subscription_id FROM due LEFT JOIN inflight i ON i.subscription_id = due.subscription_id
         WHERE due.rn + coalesce(i.n, 0) <= $3 ORDER BY due.next_attempt_at, due.id LIMIT $2`,
        [o.now, o.limit * 2, cap],
      );
      if (candidates.length === 0) return [];
      // Claimers of the same endpoint take turns (row lock on the subscription, in id order so no
      // deadlock); after the lock, the in-flight count below includes what the previous one committed.
      const subs = [...new Set(candidates.map((r) => r.subscription_id))].sort();
      await c.query('SELECT id FROM subscriptions WHERE id = ANY($1) ORDER BY id FOR UPDATE', [subs]);
      const { rows: counts } = await c.query<{ subscription_id: string; n: string }>(
        `SELECT subscription_id, count(*) AS n FROM deliveries
         WHERE status = 'inflight' AND lease_expires_at > $1 AND subscription_id = ANY($2) GROUP BY subscription_id`,
        [o.now, subs],
      );
      const room = new Map(subs.map((s) => [s, cap]));
      for (const r of counts) room.set(r.subscription_id, cap - Number(r.n));
      const { rows: locked } = await c.query<{ id: string; subscription_id: string }>(
        `SELECT d.id, d.subscription_id FROM deliveries d WHERE d.id = ANY($2) AND ${DUE}
         ORDER BY d.next_attempt_at, d.id FOR UPDATE SKIP LOCKED`,
        [o.now, candidates.map((r) => r.id)],
      );
      ids = [];
      for (const r of locked) {
        const left = room.get(r.subscription_id) ?? 0;
        if (left <= 0 || ids.length >= o.limit) continue;
        room.set(r.subscription_id, left - 1);
        ids.push(r.id);
      }
    }
    if (ids.length === 0) return [];
    const { rows } = await c.query(
      `WITH leased AS (
         UPDATE deliveries SET status = 'inflight', lease_owner = $2, lease_expires_at = $3, updated_at = $4
         WHERE id = ANY($1) RETURNING *)
       SELECT ${CLAIM_COLUMNS} FROM leased d
       JOIN messages m ON m.id = d.message_id JOIN subscriptions s ON s.id = d.subscription_id
       ORDER BY d.next_attempt_at, d.id`,
      [ids, o.workerId, o.now + o.leaseMs, o.now],
    );
    return rows.map((row: Row) => ({ ...toDelivery(row), message: toMessage(row, 'm_'), subscription: toSubscription(row, 's_') }));
  }

  // LISTEN needs a connection of its own, outside the pool; it is opened on the first listener.
  const listeners = new Set<() => void>();
  let listener: pg.Client | undefined;
  let closed = false;
  async function listen(): Promise<void> {
    if (listener || closed) return;
    const c = new pgModule.Client({ connectionString: options.connectionString });
    listener = c;
    const drop = () => {
      if (listener !== c) return;
      listener = undefined;
      c.end().catch(() => {});
      // Notifications are best effort: workers poll anyway, so a retry later is enough.
      if (!closed && listeners.size > 0) setTimeout(() => void listen().catch(() => {}), 1000).unref();
    };
    c.on('error', drop);
    c.on('end', drop);
    c.on('notification', () => listeners.forEach((l) => l()));
    try {
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(channel)}`);
    } catch {
      drop();
    }
  }

  const store: Store = {
    kind: 'postgres',
    async createSubscription(input, now) {
      const row = await one(
        `INSERT INTO subscriptions (id, tenant, url, events, secrets, headers, metadata, paused, disabled, disabled_reason, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING *`,
        [input.id, input.tenant, input.url, JSON.stringify(input.events), JSON.stringify(input.secrets), JSON.stringify(input.headers),
          JSON.stringify(input.metadata), input.paused ?? false, input.disabled ?? false, input.disabledReason ?? null, now],
      );
      return toSubscription(row!);
    },
    async getSubscription(id) {
      const row = await one('SELECT * FROM subscriptions WHERE id = $1', [id]);
      return row && toSubscription(row);
    },
    async listSubscriptions(query) {
      const { rows } = query?.tenant !== undefined
        ? await pool.query('SELECT * FROM subscriptions WHERE tenant = $1 ORDER BY created_at, id', [query.tenant])
        : await pool.query('SELECT * FROM subscriptions ORDER BY created_at, id');
      return rows.map((r: Row) => toSubscription(r));
    },
    async updateSubscription(id, patch, now) {
      const sets = ['updated_at = $2'];
      const values: unknown[] = [id, now];
      for (const [key, value] of Object.entries(patch) as [keyof SubscriptionPatch, unknown][]) {
        if (value === undefined || !(key in PATCH_COLUMNS)) continue;
        values.push(value !== null && typeof value === 'object' ? JSON.stringify(value) : value);
        sets.push(`${PATCH_COLUMNS[key]} = $${values.length}`);
      }
      const row = await one(`UPDATE subscriptions SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, values);
      if (patch.paused === false || patch.disabled === false) await pool.query('SELECT pg_notify($1, $2)', [channel, 'resume']);
      return row && toSubscription(row);
    },
    async deleteSubscription(id) {
      return tx(async (c) => {
        await c.query(`UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL
          WHERE subscription_id = $1 AND status IN ('pending', 'inflight')`, [id]);
        return ((await c.query('DELETE FROM subscriptions WHERE id = $1', [id])).rowCount ?? 0) === 1;
      });
    },
    async publish(input) {
      return tx(async (c) => {
        const inserted = await c.query(
          `INSERT INTO messages (id, tenant, event_type, payload, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (tenant, idempotency_key) DO NOTHING RETURNING id`,
          [input.id, input.tenant, input.eventType, input.payload, input.idempotencyKey, input.now],
        );
        if (inserted.rowCount === 0) {
          // A concurrent publish with the same key has committed first (ON CONFLICT waited for it).
          const known = await c.query('SELECT * FROM messages WHERE tenant = $1 AND idempotency_key = $2', [input.tenant, input.idempotencyKey]);
          return { message: toMessage(known.rows[0] as Row), deliveries: 0, duplicate: true };
        }
        const { rows: subs } = await c.query<{ id: string; events: string[] }>(
          'SELECT id, events FROM subscriptions WHERE tenant = $1 AND NOT paused AND NOT disabled', [input.tenant]);
        const matching = subs.filter((s) => matchesEvent(s.events, input.eventType)).map((s) => s.id);
        if (matching.length > 0) {
          await c.query(
            `INSERT INTO deliveries (id, message_id, subscription_id, status, next_attempt_at, created_at, updated_at)
             SELECT unnest($1::text[]), $2, unnest($3::text[]), 'pending', $4, $4, $4`,
            [matching.map(() => newId('dlv', input.now)), input.id, matching, input.now],
          );
          // Delivered on commit, and only if the transaction commits.
          await c.query('SELECT pg_notify($1, $2)', [channel, input.id]);
        }
        const message = { id: input.id, tenant: input.tenant, eventType: input.eventType, payload: input.payload, idempotencyKey: input.idempotencyKey, createdAt: input.now };
        return { message, deliveries: matching.length, duplicate: false };
      });
    },
    async getMessage(id) {
      const row = await one('SELECT * FROM messages WHERE id = $1', [id]);
      return row && toMessage(row);
    },
    async claimDue(o) {
      return tx((c) => claim(c, o));
    },
    async recordAttempt(input) {
      const a = input.attempt;
      const o = input.outcome;
      return tx(async (c) => {
        await c.query(
          `INSERT INTO attempts (delivery_id, n, started_at, duration_ms, status, response, error_class, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [a.deliveryId, a.n, a.startedAt, Math.round(a.durationMs), a.status, truncate(a.response, MAX_TEXT), a.errorClass, truncate(a.error, MAX_TEXT)],
        );
        const settled = await c.query<{ subscription_id: string }>(
          `UPDATE deliveries SET status = $3, attempts = attempts + 1, next_attempt_at = $4, lease_owner = NULL, lease_expires_at = NULL,
             last_status = $5, last_error = $6, updated_at = $7
           WHERE id = $1 AND lease_owner = $2 AND status = 'inflight' RETURNING subscription_id`,
          [a.deliveryId, input.workerId, o.kind === 'retry' ? 'pending' : o.kind, o.kind === 'retry' ? o.nextAttemptAt : a.startedAt,
            a.status, truncate(a.error, MAX_TEXT), a.startedAt + Math.round(a.durationMs)],
        );
        const applied = settled.rowCount === 1;
        const subscriptionId = input.subscriptionId;
        if (input.endpointOk) {
          await c.query('UPDATE subscriptions SET first_failure_at = NULL WHERE id = $1 AND first_failure_at IS NOT NULL', [subscriptionId]);
          return { applied, firstFailureAt: null };
        }
        const { rows } = await c.query<{ first_failure_at: string | null }>(
          'UPDATE subscriptions SET first_failure_at = coalesce(first_failure_at, $2) WHERE id = $1 RETURNING first_failure_at', [subscriptionId, a.startedAt]);
        const first = rows[0]?.first_failure_at;
        return { applied, firstFailureAt: first === null || first === undefined ? null : Number(first) };
      });
    },
    async release(ids, workerId, now) {
      if (ids.length === 0) return 0;
      const { rowCount } = await pool.query(
        `UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = $3, updated_at = $3
         WHERE id = ANY($1) AND lease_owner = $2 AND status = 'inflight'`, [ids, workerId, now]);
      if (rowCount) await pool.query('SELECT pg_notify($1, $2)', [channel, 'release']);
      return rowCount ?? 0;
    },
    async prune(before) {
      return tx(async (c) => {
        const attempts = await c.query(`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE status IN ('succeeded', 'failed', 'cancelled') AND updated_at < $1)`, [before]);
        const deliveries = await c.query(`DELETE FROM deliveries WHERE status IN ('succeeded', 'failed', 'cancelled') AND updated_at < $1`, [before]);
        const messages = await c.query(`DELETE FROM messages m WHERE created_at < $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)`, [before]);
        return { deliveries: deliveries.rowCount ?? 0, attempts: attempts.rowCount ?? 0, messages: messages.rowCount ?? 0 };
      });
    },
    async replay(query, now) {
      const set = `SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_owner = NULL, lease_expires_at = NULL, updated_at = $1`;
      const { rowCount } =
        'deliveryIds' in query
          ? await pool.query(`UPDATE deliveries ${set} WHERE id = ANY($2) AND status IN ('succeeded', 'failed')`, [now, query.deliveryIds])
          : await pool.query(`UPDATE deliveries ${set} WHERE status = 'failed' AND updated_at >= $2`, [now, query.failedSince]);
      if (rowCount) await pool.query('SELECT pg_notify($1, $2)', [channel, 'replay']);
      return rowCount ?? 0;
    },
    async nextDueAt() {
      const row = await one(`SELECT least(
        (SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'),
        (SELECT min(lease_expires_at) FROM deliveries WHERE status = 'inflight')) AS t`);
      return row?.t === null || row?.t === undefined ? null : Number(row.t);
    },
    async getDelivery(id) {
      const row = await one('SELECT * FROM deliveries WHERE id = $1', [id]);
      return row && toDelivery(row);
    },
    async listDeliveries(q = {}) {
      const where: string[] = [];
      const values: unknown[] = [];
      const add = (sql: string, value: unknown) => { values.push(value); where.push(`${sql} = $${values.length}`); };
      if (q.messageId !== undefined) add('message_id', q.messageId);
      if (q.subscriptionId !== undefined) add('subscription_id', q.subscriptionId);
      if (q.status !== undefined) add('status', q.status);
      values.push(q.limit ?? 1000);
      const { rows } = await pool.query(
        `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id LIMIT $${values.length}`, values);
      return rows.map(toDelivery);
    },
    async listAttempts(deliveryId) {
      const { rows } = await pool.query('SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY n, id', [deliveryId]);
      return rows.map(toAttempt);
    },
    async countDeliveries() {
      const counts = EMPTY_COUNTS();
      const { rows } = await pool.query<{ status: DeliveryStatus; n: string }>('SELECT status, count(*) AS n FROM deliveries GROUP BY status');
      for (const row of rows) counts[row.status] = Number(row.n);
      return counts;
    },
    onWork(fn) {
      listeners.add(fn);
      void listen().catch(() => {});
      return () => listeners.delete(fn);
    },
    async close() {
      closed = true;
      listeners.clear();
      const c = listener;
      listener = undefined;
      await c?.end().catch(() => {});
      await pool.end();
    },
  };
  return store;
}
