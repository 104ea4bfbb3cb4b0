import type pg from 'pg';
import { matchesEvent } from './event-filter.js';
import { newId } from './ids.js';
import { migratePostgres, quoteIdent } from './postgres-schema.js';
import { deliveriesSql } from './delivery-query.js';
import { CLAIM_COLUMNS, EMPTY_COUNTS, toAttempt, toDelivery, toMessage, toSubscription, truncate } from './rows.js';
import type { ClaimedDelivery, DeliveryStatus, RecordAttemptInput, RecordAttemptResult, Store, SubscriptionPatch } from './types.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** The schema holding the tables (default `hookgen`); created and migrated on first use. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
}

const MAX_TEXT = 20_000;
/** Attempts per group-commit statement (bounded so one statement's parameters stay small). */
const MAX_RECORD_BATCH = 512;
const PATCH_COLUMNS: Record<keyof SubscriptionPatch, string> = {
  url: 'url', events: 'events', secrets: 'secrets', headers: 'headers', metadata: 'metadata',
  paused: 'paused', disabled: 'disabled', disabledReason: 'disabled_reason', firstFailureAt: 'first_failure_at',
};

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

  /**
   * Due candidates in claim order, locked with SKIP LOCKED: expired leases (work of dead workers)
   * first, then pending rows by due time. Each branch is an ordered scan of its (status, …) index that
   * stops at the limit, so a claim costs the same with ten or a million rows due. Endpoints already at
   * their cap (`$3`) are skipped in the scan, so a backlog on one endpoint cannot fill every claim.
   */
  const CANDIDATES = (limit: string) => `
    full_endpoints AS (
      SELECT subscription_id FROM deliveries WHERE status = 'inflight' AND lease_expires_at > $1
      GROUP BY subscription_id HAVING count(*) >= $3),
    expired AS (
      SELECT d.id, d.subscription_id, 0 AS lane, d.lease_expires_at AS due FROM deliveries d
      JOIN subscriptions s ON s.id = d.subscription_id AND NOT s.paused AND NOT s.disabled
      WHERE d.status = 'inflight' AND d.lease_expires_at <= $1 AND d.subscription_id NOT IN (SELECT subscription_id FROM full_endpoints)
      ORDER BY d.lease_expires_at LIMIT ${limit} FOR UPDATE OF d SKIP LOCKED),
    pending AS (
      SELECT d.id, d.subscription_id, 1 AS lane, d.next_attempt_at AS due FROM deliveries d
      JOIN subscriptions s ON s.id = d.subscription_id AND NOT s.paused AND NOT s.disabled
      WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.subscription_id NOT IN (SELECT subscription_id FROM full_endpoints)
      ORDER BY d.next_attempt_at LIMIT ${limit} FOR UPDATE OF d SKIP LOCKED),
    candidates AS (SELECT * FROM expired UNION ALL SELECT * FROM pending)`;
  /** Leases the chosen rows and returns them joined with their message and subscription. */
  const LEASE = (chosen: string) => `
    leased AS (
      UPDATE deliveries SET status = 'inflight', lease_owner = $4, lease_expires_at = $5, updated_at = $1
      WHERE id IN (SELECT id FROM ${chosen}) RETURNING *)
    SELECT ${CLAIM_COLUMNS} FROM leased d
    JOIN messages m ON m.id = d.message_id JOIN subscriptions s ON s.id = d.subscription_id
    ORDER BY d.next_attempt_at, d.id`;

  /**
   * Claim. Uncapped: one statement (pick and lock, lease, return). Capped: the first statement locks
   * the candidate rows and then their subscription rows (in id order, so claimers of one endpoint take
   * turns without deadlock); the second starts once those locks are held, so its in-flight count
   * includes every lease another claimer committed before letting go, and the cap holds across workers.
   */
  async function claim(o: Parameters<Store['claimDue']>[0]): Promise<ClaimedDelivery[]> {
    const toClaimed = (rows: Row[]) =>
      rows.map((row) => ({ ...toDelivery(row), message: toMessage(row, 'm_'), subscription: toSubscription(row, 's_') }));
    const lease = [o.now, o.limit, o.perEndpointLimit ?? 2_147_483_647, o.workerId, o.now + o.leaseMs];
    if (o.perEndpointLimit === undefined) {
      const { rows } = await pool.query({
        name: 'hookgen_claim',
        text: `WITH ${CANDIDATES('$2')},
         chosen AS (SELECT id FROM candidates ORDER BY lane, due LIMIT $2),
         ${LEASE('chosen')}`,
        values: lease,
      });
      return toClaimed(rows);
    }
    return tx(async (c) => {
      // Twice the limit: the cap may turn some candidates down.
      const { rows: subs } = await c.query<{ id: string; candidates: { id: string; lane: number; due: number }[] }>({
        name: 'hookgen_claim_endpoints',
        text: `WITH ${CANDIDATES('2 * $2')}
         SELECT s.id, (SELECT json_agg(json_build_object('id', c.id, 'lane', c.lane, 'due', c.due)) FROM candidates c WHERE c.subscription_id = s.id) AS candidates
         FROM subscriptions s WHERE s.id IN (SELECT subscription_id FROM candidates) ORDER BY s.id FOR UPDATE OF s`,
        values: lease.slice(0, 3),
      });
      if (subs.length === 0) return [];
      const order = subs.flatMap((s) => s.candidates.map((c) => ({ ...c, subscriptionId: s.id })))
        .sort((a, b) => a.lane - b.lane || a.due - b.due || (a.id < b.id ? -1 : 1));
      const { rows } = await c.query({
        name: 'hookgen_claim_capped',
        text: `WITH inflight AS (
           SELECT subscription_id, count(*) AS n FROM deliveries
           WHERE status = 'inflight' AND lease_expires_at > $1 AND subscription_id = ANY($7) GROUP BY subscription_id),
         ranked AS (
           SELECT c.id, c.ord, row_number() OVER (PARTITION BY c.subscription_id ORDER BY c.ord) + coalesce(i.n, 0) AS used
           FROM unnest($6::text[], $8::text[]) WITH ORDINALITY AS c(id, subscription_id, ord)
           LEFT JOIN inflight i ON i.subscription_id = c.subscription_id),
         chosen AS (SELECT id FROM ranked WHERE used <= $3 ORDER BY ord LIMIT $2),
         ${LEASE('chosen')}`,
        values: [...lease, order.map((c) => c.id), subs.map((s) => s.id), order.map((c) => c.subscriptionId)],
      });
      return toClaimed(rows);
    });
  }

  /**
   * Group commit for attempts: one statement records a whole batch (attempt log, delivery state under
   * the lease check, endpoint health), and the next batch gathers while it runs, so a worker pays about
   * one round trip per batch instead of five per attempt. Each caller still resolves only once its own
   * attempt is committed; if the statement fails, every caller in it sees the error and its delivery
   * comes back when its lease expires.
   */
  type QueuedRecord = { input: RecordAttemptInput; resolve: (r: RecordAttemptResult) => void; reject: (e: unknown) => void };
  let queuedRecords: QueuedRecord[] = [];
  let recording: Promise<void> | undefined;
  async function flushRecords(): Promise<void> {
    while (queuedRecords.length > 0) {
      const batch = queuedRecords.slice(0, MAX_RECORD_BATCH);
      queuedRecords = queuedRecords.slice(batch.length);
      try {
        const results = await recordBatch(batch.map((q) => q.input));
        batch.forEach((q, i) => q.resolve(results[i]!));
      } catch (error) {
        batch.forEach((q) => q.reject(error));
      }
    }
    recording = undefined;
  }

  async function recordBatch(inputs: RecordAttemptInput[]): Promise<RecordAttemptResult[]> {
    // Endpoint health per subscription, in attempt order: a success clears the failure run, a
    // failure starts one if none is running. `reset`: the batch has a success, so the run it leaves
    // (null, or the failures after the last success) replaces the stored one; otherwise the stored
    // run start is kept when there is one.
    const health = new Map<string, { reset: boolean; runStart: number | null }>();
    for (const { subscriptionId, endpointOk, attempt } of inputs) {
      const h = health.get(subscriptionId) ?? { reset: false, runStart: null };
      if (endpointOk) health.set(subscriptionId, { reset: true, runStart: null });
      else health.set(subscriptionId, { reset: h.reset, runStart: h.runStart ?? attempt.startedAt });
    }
    const cols = {
      id: [] as string[], worker: [] as string[], n: [] as number[], started: [] as number[], duration: [] as number[],
      status: [] as (number | null)[], response: [] as (string | null)[], errorClass: [] as (string | null)[], error: [] as (string | null)[],
      next: [] as string[], nextAt: [] as number[],
    };
    for (const { workerId, attempt: a, outcome: o } of inputs) {
      cols.id.push(a.deliveryId); cols.worker.push(workerId); cols.n.push(a.n); cols.started.push(a.startedAt);
      cols.duration.push(Math.round(a.durationMs)); cols.status.push(a.status); cols.response.push(truncate(a.response, MAX_TEXT));
      cols.errorClass.push(a.errorClass); cols.error.push(truncate(a.error, MAX_TEXT));
      cols.next.push(o.kind === 'retry' ? 'pending' : o.kind); cols.nextAt.push(o.kind === 'retry' ? o.nextAttemptAt : a.startedAt);
    }
    const subs = [...health.keys()];
    const params = [
      cols.id, cols.worker, cols.n, cols.started, cols.duration, cols.status, cols.response, cols.errorClass, cols.error, cols.next, cols.nextAt,
      subs, subs.map((id) => health.get(id)!.reset), subs.map((id) => health.get(id)!.runStart),
    ];
    const sql = `WITH input AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::int[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[])
          WITH ORDINALITY AS i(delivery_id, worker_id, n, started_at, duration_ms, status, response, error_class, error, next_status, next_at, ord)),
      logged AS (
        INSERT INTO attempts (delivery_id, n, started_at, duration_ms, status, response, error_class, error)
        SELECT delivery_id, n, started_at, duration_ms, status, response, error_class, error FROM input ORDER BY ord),
      settled AS (
        UPDATE deliveries d SET status = i.next_status, attempts = d.attempts + 1, next_attempt_at = i.next_at, lease_owner = NULL,
          lease_expires_at = NULL, last_status = i.status, last_error = i.error, updated_at = i.started_at + i.duration_ms
        FROM input i WHERE d.id = i.delivery_id AND d.lease_owner = i.worker_id AND d.status = 'inflight'
        RETURNING i.ord),
      health_input AS (SELECT * FROM unnest($12::text[], $13::boolean[], $14::bigint[]) AS h(id, reset, run_start)),
      health AS (
        UPDATE subscriptions s SET first_failure_at = CASE WHEN h.reset THEN h.run_start ELSE coalesce(s.first_failure_at, h.run_start) END
        FROM health_input h
        WHERE s.id = h.id AND s.first_failure_at IS DISTINCT FROM (CASE WHEN h.reset THEN h.run_start ELSE coalesce(s.first_failure_at, h.run_start) END)
        RETURNING s.id, s.first_failure_at)
      SELECT 'settled' AS kind, ord::text AS key, NULL::bigint AS value FROM settled
      UNION ALL SELECT 'after', id, first_failure_at FROM health
      UNION ALL SELECT 'before', id, first_failure_at FROM subscriptions WHERE id = ANY($12)`;
    let rows: { kind: string; key: string; value: string | null }[] = [];
    for (let tries = 1; ; tries++) {
      try {
        rows = (await pool.query<{ kind: string; key: string; value: string | null }>({ name: 'hookgen_record', text: sql, values: params })).rows;
        break;
      } catch (error) {
        // Two batches (or a batch and a claim) can lock the same endpoints in opposite orders; the
        // statement is atomic, so running it again is safe.
        if ((error as { code?: string }).code !== '40P01' || tries >= 3) throw error;
      }
    }
    const applied = new Set<number>();
    const before = new Map<string, number | null>();
    const after = new Map<string, number | null>();
    for (const r of rows) {
      if (r.kind === 'settled') applied.add(Number(r.key) - 1);
      else (r.kind === 'after' ? after : before).set(r.key, r.value === null ? null : Number(r.value));
    }
    // Each attempt's view of the failure run, replayed in order from the stored value; the attempts
    // after a subscription's last success end on the value the statement wrote.
    const current = new Map(subs.map((id) => [id, before.get(id) ?? null]));
    const lastOk = new Map<string, number>();
    inputs.forEach((q, i) => q.endpointOk && lastOk.set(q.subscriptionId, i));
    return inputs.map((q, i) => {
      const id = q.subscriptionId;
      if (q.endpointOk) {
        current.set(id, null);
        return { applied: applied.has(i), firstFailureAt: null };
      }
      const first = (lastOk.get(id) ?? -1) < i && after.has(id) ? after.get(id)! : (current.get(id) ?? q.attempt.startedAt);
      current.set(id, first);
      return { applied: applied.has(i), firstFailureAt: first };
    });
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
      return (await store.publishMany([input]))[0]!;
    },
    async publishMany(inputs) {
      type Result = Awaited<ReturnType<Store['publish']>>;
      if (inputs.length === 0) return [];
      // Two round trips per batch, whatever its size (a single publish is a batch of one), plus one
      // when some keys were already known: read the batch's tenants' active subscriptions (the event
      // filter is matched here, the same code as SQLite's), then one atomic statement writes every
      // message and delivery and queues one NOTIFY (sent on commit, only if it commits). The statement
      // re-checks each subscription, so one paused or deleted in between gets no delivery.
      const keyOf = (input: { tenant: string; idempotencyKey: string | null }) => JSON.stringify([input.tenant, input.idempotencyKey]);
      // A key used twice in one batch: only its first use goes to the database, the later ones are its
      // duplicates (so the statement never meets a conflict it would itself have caused).
      const firstUse = new Map<string, number>();
      const sameAs = inputs.map((input, i) => {
        if (input.idempotencyKey === null) return undefined;
        const first = firstUse.get(keyOf(input));
        if (first === undefined) firstUse.set(keyOf(input), i);
        return first;
      });
      const written = inputs.filter((_, i) => sameAs[i] === undefined);
      // Most batches (and every single publish) have one tenant: `tenant = $1` is measurably cheaper
      // than `= ANY($1)` for them (a third less time for this query).
      const tenants = [...new Set(written.map((input) => input.tenant))];
      const { rows: subs } = await pool.query<{ tenant: string; id: string; events: string[] }>(tenants.length === 1
        ? { name: 'hookgen_publish_subscriptions', text: 'SELECT tenant, id, events FROM subscriptions WHERE tenant = $1 AND NOT paused AND NOT disabled', values: tenants }
        : { name: 'hookgen_publish_subscriptions_any', text: 'SELECT tenant, id, events FROM subscriptions WHERE tenant = ANY($1) AND NOT paused AND NOT disabled', values: [tenants] });
      const subsOf = new Map<string, typeof subs>();
      for (const sub of subs) subsOf.set(sub.tenant, [...(subsOf.get(sub.tenant) ?? []), sub]);
      const m = { id: [] as string[], tenant: [] as string[], type: [] as string[], payload: [] as string[], key: [] as (string | null)[], at: [] as number[] };
      const d = { id: [] as string[], message: [] as string[], subscription: [] as string[], at: [] as number[] };
      for (const input of written) {
        m.id.push(input.id); m.tenant.push(input.tenant); m.type.push(input.eventType); m.payload.push(input.payload); m.key.push(input.idempotencyKey); m.at.push(input.now);
        for (const sub of subsOf.get(input.tenant) ?? []) {
          if (!matchesEvent(sub.events, input.eventType)) continue;
          d.id.push(newId('dlv', input.now)); d.message.push(input.id); d.subscription.push(sub.id); d.at.push(input.now);
        }
      }
      // One message is passed as plain parameters: parsing six one-element arrays cost a single
      // publish about 50 µs (a twentieth of its time). Otherwise the statement is the same.
      const one = written.length === 1;
      const messages = one
        ? 'VALUES ($1, $2, $3, $4, $5, $6::bigint)'
        : 'SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])';
      // Rows: each message written with its delivery count, and one with a null id when the NOTIFY
      // ran (a CTE nothing reads is not evaluated). A message not written had a known key (ON
      // CONFLICT); a repeated message id is an error that rolls the whole statement back.
      const { rows } = await pool.query<{ id: string | null; deliveries: number }>({
        name: one ? 'hookgen_publish' : 'hookgen_publish_many',
        text: `WITH message AS (
           INSERT INTO messages (id, tenant, event_type, payload, idempotency_key, created_at) ${messages}
           ON CONFLICT (tenant, idempotency_key) DO NOTHING RETURNING id),
         fanout AS (
           INSERT INTO deliveries (id, message_id, subscription_id, status, next_attempt_at, created_at, updated_at)
           SELECT f.id, f.message_id, f.subscription_id, 'pending', f.at, f.at, f.at
           FROM unnest($7::text[], $8::text[], $9::text[], $10::bigint[]) AS f(id, message_id, subscription_id, at)
           JOIN message ON message.id = f.message_id
           JOIN subscriptions s ON s.id = f.subscription_id AND NOT s.paused AND NOT s.disabled
           RETURNING message_id),
         counted AS (SELECT message_id, count(*)::int AS n FROM fanout GROUP BY message_id),
         woken AS (SELECT pg_notify($11, 'publish') FROM fanout LIMIT 1)
         SELECT message.id, coalesce(counted.n, 0) AS deliveries FROM message LEFT JOIN counted ON counted.message_id = message.id
         UNION ALL SELECT NULL, 0 FROM woken`,
        values: [...(one ? [m.id[0], m.tenant[0], m.type[0], m.payload[0], m.key[0], m.at[0]] : [m.id, m.tenant, m.type, m.payload, m.key, m.at]),
          d.id, d.message, d.subscription, d.at, channel],
      });
      const inserted = new Map<string, number>();
      for (const row of rows) if (row.id !== null) inserted.set(row.id, row.deliveries);
      // Known keys: a publish with the key committed first (ON CONFLICT waited for it, so it may have
      // committed after this statement's snapshot). Duplicates are rare, so reading them costs a third
      // round trip only when there are some, and none otherwise.
      const known = new Map<string, Result['message']>();
      const skipped = written.filter((input) => !inserted.has(input.id));
      if (skipped.length > 0) {
        const { rows: stored } = await pool.query(
          'SELECT m.* FROM unnest($1::text[], $2::text[]) AS k(tenant, key) JOIN messages m ON m.tenant = k.tenant AND m.idempotency_key = k.key',
          [skipped.map((input) => input.tenant), skipped.map((input) => input.idempotencyKey)]);
        for (const row of stored) known.set(keyOf({ tenant: String(row.tenant), idempotencyKey: String(row.idempotency_key) }), toMessage(row));
      }
      const results: Result[] = [];
      inputs.forEach((input, i) => {
        const first = sameAs[i];
        if (first !== undefined) return results.push({ message: results[first]!.message, deliveries: 0, duplicate: true });
        const deliveries = inserted.get(input.id);
        if (deliveries === undefined) return results.push({ message: known.get(keyOf(input))!, deliveries: 0, duplicate: true });
        const message = { id: input.id, tenant: input.tenant, eventType: input.eventType, payload: input.payload, idempotencyKey: input.idempotencyKey, createdAt: input.now };
        return results.push({ message, deliveries, duplicate: false });
      });
      return results;
    },
    async getMessage(id) {
      const row = await one('SELECT * FROM messages WHERE id = $1', [id]);
      return row && toMessage(row);
    },
    async claimDue(o) {
      return claim(o);
    },
    recordAttempt(input) {
      return new Promise((resolve, reject) => {
        queuedRecords.push({ input, resolve, reject });
        recording ??= new Promise<void>((next) => setImmediate(next)).then(flushRecords);
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
      const values: unknown[] = [];
      const sql = deliveriesSql(q, (value) => `$${values.push(value)}`);
      const { rows } = await pool.query(sql, values);
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
      await recording; // attempts already handed over are committed before the pool goes
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
