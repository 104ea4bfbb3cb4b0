import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { matchesEvent } from './event-filter.js';
import { newId } from './ids.js';
import { deliveriesSql } from './delivery-query.js';
import { EMPTY_COUNTS, toAttempt, toDelivery, toMessage, toSubscription, truncate } from './rows.js';
import { migrateSqlite } from './sqlite-schema.js';
import type { ClaimedDelivery, DeliveryStatus, RecordAttemptInput, RecordAttemptResult, Store, Subscription, SubscriptionPatch } from './types.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' (one process, one store instance only). */
  path: string;
  /** How long a writer waits for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
}

const MAX_TEXT = 20_000;
const NO_CAP = 1_000_000_000;
const MESSAGE_COLUMNS = `m.id AS m_id, m.tenant AS m_tenant, m.event_type AS m_event_type, m.payload AS m_payload,
  m.idempotency_key AS m_idempotency_key, m.created_at AS m_created_at`;
const PATCH_COLUMNS: Record<keyof SubscriptionPatch, string> = {
  url: 'url', events: 'events', secrets: 'secrets', headers: 'headers', metadata: 'metadata',
  paused: 'paused', disabled: 'disabled', disabledReason: 'disabled_reason', firstFailureAt: 'first_failure_at',
};

/**
 * The embedded store: SQLite in WAL mode. SQLite has one writer at a time, so a claim is a plain
 * `BEGIN IMMEDIATE` select-then-update: no two claimers (threads or processes) can interleave.
 */
export function sqliteStore(options: SqliteStoreOptions): Store {
  // Loaded on first use: importing `hookgen` for its receivers must not load a native module.
  const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  const db = new Driver(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  // NORMAL in WAL: a committed publish survives a process crash (not an OS crash), at a fraction of FULL's fsyncs.
  db.pragma('synchronous = NORMAL');
  migrateSqlite(db);
  const events = new EventEmitter();

  const stmt = {
    insertSub: db.prepare(`INSERT INTO subscriptions (id, tenant, url, events, secrets, headers, metadata, paused, disabled, disabled_reason, created_at, updated_at)
      VALUES (@id, @tenant, @url, @events, @secrets, @headers, @metadata, @paused, @disabled, @disabled_reason, @now, @now)`),
    getSub: db.prepare('SELECT * FROM subscriptions WHERE id = ?'),
    listSubs: db.prepare('SELECT * FROM subscriptions ORDER BY created_at, id'),
    listSubsByTenant: db.prepare('SELECT * FROM subscriptions WHERE tenant = ? ORDER BY created_at, id'),
    activeSubs: db.prepare('SELECT id, events FROM subscriptions WHERE tenant = ? AND paused = 0 AND disabled = 0'),
    deleteSub: db.prepare('DELETE FROM subscriptions WHERE id = ?'),
    cancelForSub: db.prepare(`UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL
      WHERE subscription_id = ? AND status IN ('pending', 'inflight')`),
    messageByKey: db.prepare('SELECT * FROM messages WHERE tenant = ? AND idempotency_key = ?'),
    insertMessage: db.prepare(`INSERT INTO messages (id, tenant, event_type, payload, idempotency_key, created_at)
      VALUES (@id, @tenant, @eventType, @payload, @idempotencyKey, @now)`),
    insertDelivery: db.prepare(`INSERT INTO deliveries (id, message_id, subscription_id, status, next_attempt_at, created_at, updated_at)
      VALUES (?, ?, ?, 'pending', ?, ?, ?)`),
    getMessage: db.prepare('SELECT * FROM messages WHERE id = ?'),
    // The claim reads due rows in order through the (status, next_attempt_at) index and stops once it
    // has enough, skipping endpoints at their cap: cheap when the queue is long, and a backlog on one
    // endpoint costs a scan over its rows, never a claim slot.
    inflightBySub: db.prepare(`SELECT subscription_id, count(*) AS n FROM deliveries
      WHERE status = 'inflight' AND lease_expires_at > ? GROUP BY subscription_id`),
    inactiveSubs: db.prepare('SELECT id FROM subscriptions WHERE paused = 1 OR disabled = 1'),
    expiredLeases: db.prepare(`SELECT id, subscription_id, lease_expires_at AS due FROM deliveries
      WHERE status = 'inflight' AND lease_expires_at <= ? ORDER BY lease_expires_at`),
    duePending: db.prepare(`SELECT id, subscription_id FROM deliveries
      WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id`),
    lease: db.prepare(`UPDATE deliveries SET status = 'inflight', lease_owner = @workerId, lease_expires_at = @until, updated_at = @now
      WHERE id IN (SELECT value FROM json_each(@ids))`),
    // Deliveries with their messages only: a batch usually shares a few subscriptions, which are read
    // and parsed once each (four JSON columns per row made the joined claim cost more than the POST).
    claimed: db.prepare(`SELECT d.*, ${MESSAGE_COLUMNS} FROM deliveries d JOIN messages m ON m.id = d.message_id
      WHERE d.id IN (SELECT value FROM json_each(@ids))`),
    insertAttempt: db.prepare(`INSERT INTO attempts (delivery_id, n, started_at, duration_ms, status, response, error_class, error)
      VALUES (@deliveryId, @n, @startedAt, @durationMs, @status, @response, @errorClass, @error)`),
    settle: db.prepare(`UPDATE deliveries SET status = @status, attempts = attempts + 1, next_attempt_at = @next,
        lease_owner = NULL, lease_expires_at = NULL, last_status = @lastStatus, last_error = @lastError, updated_at = @now
      WHERE id = @id AND lease_owner = @workerId AND status = 'inflight'`),
    healthy: db.prepare('UPDATE subscriptions SET first_failure_at = NULL WHERE id = ? AND first_failure_at IS NOT NULL'),
    failing: db.prepare('UPDATE subscriptions SET first_failure_at = coalesce(first_failure_at, ?) WHERE id = ?'),
    firstFailure: db.prepare('SELECT first_failure_at FROM subscriptions WHERE id = ?'),
    release: db.prepare(`UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = @now, updated_at = @now
      WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_owner = @workerId AND status = 'inflight'`),
    replayIds: db.prepare(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
      WHERE id IN (SELECT value FROM json_each(@ids)) AND status IN ('succeeded', 'failed')`),
    replayFailed: db.prepare(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
      WHERE status = 'failed' AND updated_at >= @since`),
    nextDue: db.prepare(`SELECT min(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'`),
    nextLease: db.prepare(`SELECT min(lease_expires_at) AS t FROM deliveries WHERE status = 'inflight'`),
    getDelivery: db.prepare('SELECT * FROM deliveries WHERE id = ?'),
    attempts: db.prepare('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n, id'),
    counts: db.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status'),
  };

  const getSub = (id: string) => {
    const row = stmt.getSub.get(id) as Record<string, unknown> | undefined;
    return row && toSubscription(row);
  };

  const pruneTx = db.transaction((before: number) => {
    const attempts = db.prepare(`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE status IN ('succeeded', 'failed', 'cancelled') AND updated_at < ?)`).run(before).changes;
    const deliveries = db.prepare(`DELETE FROM deliveries WHERE status IN ('succeeded', 'failed', 'cancelled') AND updated_at < ?`).run(before).changes;
    const messages = db.prepare(`DELETE FROM messages WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id)`).run(before).changes;
    return { deliveries, attempts, messages };
  });
  // A batch is one transaction: every message with its deliveries, or (on any error) nothing.
  const publishManyTx = db.transaction((inputs: Parameters<Store['publishMany']>[0]): Awaited<ReturnType<Store['publishMany']>> => {
    // Each tenant's active subscriptions are read and parsed once per batch, not once per message.
    const subsByTenant = new Map<string, { id: string; events: string[] }[]>();
    const activeSubs = (tenant: string) => {
      let subs = subsByTenant.get(tenant);
      if (!subs) {
        subs = (stmt.activeSubs.all(tenant) as { id: string; events: string }[]).map((s) => ({ id: s.id, events: JSON.parse(s.events) as string[] }));
        subsByTenant.set(tenant, subs);
      }
      return subs;
    };
    return inputs.map((input) => {
      if (input.idempotencyKey !== null) {
        // Inside the transaction this also sees a message written earlier in the same batch, so a key
        // repeated within a batch is a duplicate of its first use.
        const known = stmt.messageByKey.get(input.tenant, input.idempotencyKey) as Record<string, unknown> | undefined;
        if (known) return { message: toMessage(known), deliveries: 0, duplicate: true };
      }
      stmt.insertMessage.run(input);
      let deliveries = 0;
      for (const sub of activeSubs(input.tenant)) {
        if (!matchesEvent(sub.events, input.eventType)) continue;
        stmt.insertDelivery.run(newId('dlv', input.now), input.id, sub.id, input.now, input.now, input.now);
        deliveries++;
      }
      const message = { id: input.id, tenant: input.tenant, eventType: input.eventType, payload: input.payload, idempotencyKey: input.idempotencyKey, createdAt: input.now };
      return { message, deliveries, duplicate: false };
    });
  });

  const claimTx = db.transaction((o: Parameters<Store['claimDue']>[0]): ClaimedDelivery[] => {
    const cap = o.perEndpointLimit ?? NO_CAP;
    const room = new Map<string, number>();
    for (const r of stmt.inflightBySub.all(o.now) as { subscription_id: string; n: number }[]) room.set(r.subscription_id, cap - r.n);
    const inactive = new Set((stmt.inactiveSubs.all() as { id: string }[]).map((r) => r.id));
    const ids: string[] = [];
    const take = (rows: Iterable<unknown>) => {
      for (const row of rows as Iterable<{ id: string; subscription_id: string }>) {
        if (ids.length >= o.limit) break;
        if (inactive.has(row.subscription_id)) continue;
        const left = room.get(row.subscription_id) ?? cap;
        if (left <= 0) continue;
        room.set(row.subscription_id, left - 1);
        ids.push(row.id);
      }
    };
    take(stmt.expiredLeases.all(o.now)); // work of dead workers first: it is the oldest
    if (ids.length < o.limit) {
      const rows = stmt.duePending.iterate(o.now);
      try {
        take(rows);
      } finally {
        rows.return?.(); // an iterator left open keeps the statement busy
      }
    }
    if (ids.length === 0) return [];
    const json = JSON.stringify(ids);
    stmt.lease.run({ workerId: o.workerId, until: o.now + o.leaseMs, now: o.now, ids: json });
    const byId = new Map<string, Record<string, unknown>>();
    for (const row of stmt.claimed.all({ ids: json }) as Record<string, unknown>[]) byId.set(row.id as string, row);
    const subs = new Map<string, Subscription>();
    // `ids` is already in claim order (expired leases, then due time), so no ORDER BY is needed.
    return ids.map((id) => {
      const row = byId.get(id)!;
      const subscriptionId = row.subscription_id as string;
      let subscription = subs.get(subscriptionId);
      if (!subscription) subs.set(subscriptionId, (subscription = getSub(subscriptionId)!));
      return { ...toDelivery(row), message: toMessage(row, 'm_'), subscription };
    });
  });

  // `healthy`: subscriptions this batch has already cleared, with no failure recorded since, so
  // another success needs no write (most attempts are successes to the same few endpoints).
  const recordOne = (input: Parameters<Store['recordAttempt']>[0], healthy: Set<string>) => {
    const a = input.attempt;
    stmt.insertAttempt.run({ ...a, response: truncate(a.response, MAX_TEXT), error: truncate(a.error, MAX_TEXT) });
    const o = input.outcome;
    const applied = stmt.settle.run({
      id: a.deliveryId, workerId: input.workerId, now: a.startedAt + a.durationMs,
      status: o.kind === 'retry' ? 'pending' : o.kind,
      next: o.kind === 'retry' ? o.nextAttemptAt : a.startedAt,
      lastStatus: a.status, lastError: truncate(a.error, MAX_TEXT),
    }).changes === 1;
    if (input.endpointOk) {
      if (!healthy.has(input.subscriptionId)) stmt.healthy.run(input.subscriptionId);
      healthy.add(input.subscriptionId);
      return { applied, firstFailureAt: null };
    }
    healthy.delete(input.subscriptionId);
    stmt.failing.run(a.startedAt, input.subscriptionId);
    const row = stmt.firstFailure.get(input.subscriptionId) as { first_failure_at: number | null } | undefined;
    return { applied, firstFailureAt: row?.first_failure_at ?? null };
  };

  // Group commit: attempts finishing in the same turn of the event loop are written in one
  // transaction, which costs about one commit instead of one each. Every caller's promise still
  // resolves only after its own attempt is committed; if the batch fails, each caller sees the error
  // (and its delivery comes back when its lease expires).
  type Pending = { input: RecordAttemptInput; resolve: (r: RecordAttemptResult) => void; reject: (e: unknown) => void };
  let pendingRecords: Pending[] = [];
  const recordBatch = db.transaction((batch: Pending[]) => {
    const healthy = new Set<string>();
    return batch.map((p) => recordOne(p.input, healthy));
  });
  const flushRecords = () => {
    const batch = pendingRecords;
    pendingRecords = [];
    try {
      const results = recordBatch.immediate(batch);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      batch.forEach((p) => p.reject(error));
    }
  };

  const store: Store = {
    kind: 'sqlite',
    async createSubscription(input, now) {
      stmt.insertSub.run({
        id: input.id, tenant: input.tenant, url: input.url, events: JSON.stringify(input.events), secrets: JSON.stringify(input.secrets),
        headers: JSON.stringify(input.headers), metadata: JSON.stringify(input.metadata),
        paused: input.paused ? 1 : 0, disabled: input.disabled ? 1 : 0, disabled_reason: input.disabledReason ?? null, now,
      });
      return getSub(input.id)!;
    },
    async getSubscription(id) {
      return getSub(id);
    },
    async listSubscriptions(query) {
      const rows = query?.tenant !== undefined ? stmt.listSubsByTenant.all(query.tenant) : stmt.listSubs.all();
      return (rows as Record<string, unknown>[]).map((r) => toSubscription(r));
    },
    async updateSubscription(id, patch, now) {
      const sets: string[] = ['updated_at = @now'];
      const values: Record<string, unknown> = { id, now };
      for (const [key, value] of Object.entries(patch) as [keyof SubscriptionPatch, unknown][]) {
        if (value === undefined || !(key in PATCH_COLUMNS)) continue;
        const column = PATCH_COLUMNS[key];
        sets.push(`${column} = @${column}`);
        values[column] = typeof value === 'boolean' ? (value ? 1 : 0) : value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
      }
      db.prepare(`UPDATE subscriptions SET ${sets.join(', ')} WHERE id = @id`).run(values);
      // Resuming or re-enabling can make queued deliveries claimable again.
      if (patch.paused === false || patch.disabled === false) events.emit('work');
      return getSub(id);
    },
    async deleteSubscription(id) {
      return db.transaction(() => {
        stmt.cancelForSub.run(id);
        return stmt.deleteSub.run(id).changes === 1;
      }).immediate();
    },
    async publish(input) {
      return (await store.publishMany([input]))[0]!;
    },
    async publishMany(inputs) {
      if (inputs.length === 0) return [];
      const results = publishManyTx.immediate(inputs);
      // One wake-up per batch: a woken worker claims whatever is due, however many messages it holds.
      if (results.some((r) => r.deliveries > 0)) events.emit('work');
      return results;
    },
    async getMessage(id) {
      const row = stmt.getMessage.get(id) as Record<string, unknown> | undefined;
      return row && toMessage(row);
    },
    async claimDue(o) {
      return claimTx.immediate(o);
    },
    recordAttempt(input) {
      return new Promise((resolve, reject) => {
        pendingRecords.push({ input, resolve, reject });
        if (pendingRecords.length === 1) setImmediate(flushRecords);
      });
    },
    async release(ids, workerId, now) {
      if (ids.length === 0) return 0;
      const n = stmt.release.run({ ids: JSON.stringify(ids), workerId, now }).changes;
      if (n > 0) events.emit('work');
      return n;
    },
    async prune(before) {
      return pruneTx(before);
    },
    async replay(query, now) {
      const n = 'deliveryIds' in query ? stmt.replayIds.run({ ids: JSON.stringify(query.deliveryIds), now }).changes : stmt.replayFailed.run({ since: query.failedSince, now }).changes;
      if (n > 0) events.emit('work');
      return n;
    },
    async nextDueAt() {
      const due = (stmt.nextDue.get() as { t: number | null }).t;
      const lease = (stmt.nextLease.get() as { t: number | null }).t;
      return due === null ? lease : lease === null ? due : Math.min(due, lease);
    },
    async getDelivery(id) {
      const row = stmt.getDelivery.get(id) as Record<string, unknown> | undefined;
      return row && toDelivery(row);
    },
    async listDeliveries(q = {}) {
      const values: unknown[] = [];
      const sql = deliveriesSql(q, (value) => (values.push(value), '?'));
      return (db.prepare(sql).all(...values) as Record<string, unknown>[]).map(toDelivery);
    },
    async listAttempts(deliveryId) {
      return (stmt.attempts.all(deliveryId) as Record<string, unknown>[]).map(toAttempt);
    },
    async countDeliveries() {
      const counts = EMPTY_COUNTS();
      for (const row of stmt.counts.all() as { status: DeliveryStatus; n: number }[]) counts[row.status] = row.n;
      return counts;
    },
    onWork(listener) {
      events.on('work', listener);
      return () => events.off('work', listener);
    },
    async close() {
      if (pendingRecords.length > 0) flushRecords();
      events.removeAllListeners();
      db.close();
    },
  };
  return store;
}

