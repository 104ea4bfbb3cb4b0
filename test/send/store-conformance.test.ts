import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../runtime/store/ids.js';
import type { NewSubscription, PublishInput, Store } from '../../runtime/store/types.js';
import { makeStore, PG_URL, STORE_KINDS, type StoreFixture } from './support/stores.js';

const T0 = 1_800_000_000_000;
const LEASE = 30_000;

function sub(overrides: Partial<NewSubscription> = {}): NewSubscription {
  return {
    id: newId('sub'), tenant: '', url: 'https://example.com/hook', events: ['*'],
    secrets: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', expiresAt: null }], headers: {}, metadata: {},
    ...overrides,
  };
}

function input(eventType: string, extra: { tenant?: string; idempotencyKey?: string | null; now?: number } = {}): PublishInput {
  return {
    id: newId('msg'), tenant: extra.tenant ?? '', eventType, payload: JSON.stringify({ type: eventType }),
    idempotencyKey: extra.idempotencyKey ?? null, now: extra.now ?? T0,
  };
}

async function publish(store: Store, eventType: string, extra: { tenant?: string; idempotencyKey?: string | null; now?: number } = {}) {
  return store.publish(input(eventType, extra));
}

async function succeed(store: Store, workerId: string, delivery: { id: string; subscriptionId: string }, n = 1, now = T0) {
  const deliveryId = delivery.id;
  return store.recordAttempt({
    workerId, subscriptionId: delivery.subscriptionId, endpointOk: true, outcome: { kind: 'succeeded' },
    attempt: { deliveryId, n, startedAt: now, durationMs: 5, status: 204, response: '', errorClass: null, error: null },
  });
}

describe.each(STORE_KINDS)('Store conformance: %s', (kind) => {
  let fx: StoreFixture;
  let store: Store;
  beforeEach(async () => {
    fx = await makeStore(kind);
    store = fx.store;
  });
  afterEach(async () => fx.cleanup());

  it('creates, reads, lists by tenant, updates and deletes subscriptions', async () => {
    const a = await store.createSubscription(sub({ tenant: 'acme', headers: { 'x-api-key': 'k' }, metadata: { team: 'billing' } }), T0);
    await store.createSubscription(sub({ tenant: 'other' }), T0);
    expect(await store.getSubscription(a.id)).toMatchObject({ tenant: 'acme', headers: { 'x-api-key': 'k' }, metadata: { team: 'billing' }, paused: false, disabled: false });
    expect((await store.listSubscriptions({ tenant: 'acme' })).map((s) => s.id)).toEqual([a.id]);
    expect(await store.listSubscriptions()).toHaveLength(2);
    const updated = await store.updateSubscription(a.id, { url: 'https://example.org/x', events: ['invoice.*'], paused: true }, T0 + 1);
    expect(updated).toMatchObject({ url: 'https://example.org/x', events: ['invoice.*'], paused: true, updatedAt: T0 + 1 });
    expect(await store.deleteSubscription(a.id)).toBe(true);
    expect(await store.getSubscription(a.id)).toBeUndefined();
    expect(await store.deleteSubscription(a.id)).toBe(false);
  });

  it('fans a message out to every matching active subscription of its tenant, with the message', async () => {
    const all = await store.createSubscription(sub({ events: ['*'] }), T0);
    const invoices = await store.createSubscription(sub({ events: ['invoice.*'] }), T0);
    await store.createSubscription(sub({ events: ['user.created'] }), T0);
    await store.createSubscription(sub({ events: ['*'], paused: true }), T0);
    await store.createSubscription(sub({ events: ['*'], tenant: 'elsewhere' }), T0);
    const result = await publish(store, 'invoice.paid');
    expect(result).toMatchObject({ deliveries: 2, duplicate: false });
    const deliveries = await store.listDeliveries({ messageId: result.message.id });
    expect(deliveries.map((d) => d.subscriptionId).sort()).toEqual([all.id, invoices.id].sort());
    expect(deliveries.every((d) => d.status === 'pending' && d.nextAttemptAt === T0 && d.attempts === 0)).toBe(true);
    expect(await store.getMessage(result.message.id)).toEqual(result.message);
  });

  it('rolls the whole publish back when it fails (no delivery without its message)', async () => {
    await store.createSubscription(sub(), T0);
    const first = await publish(store, 'a.b');
    // Same message id again: the insert fails, and nothing of the second publish remains.
    await expect(store.publish({ ...first.message, now: T0, idempotencyKey: null })).rejects.toThrow();
    expect(await store.countDeliveries()).toMatchObject({ pending: 1 });
  });

  it('returns the first message for a known idempotency key, per tenant, and writes nothing twice', async () => {
    await store.createSubscription(sub(), T0);
    await store.createSubscription(sub({ tenant: 't2' }), T0);
    const first = await publish(store, 'a.b', { idempotencyKey: 'order-1' });
    const again = await publish(store, 'a.b', { idempotencyKey: 'order-1' });
    expect(again).toMatchObject({ duplicate: true, deliveries: 0 });
    expect(again.message).toEqual(first.message);
    const otherTenant = await publish(store, 'a.b', { idempotencyKey: 'order-1', tenant: 't2' });
    expect(otherTenant).toMatchObject({ duplicate: false, deliveries: 1 });
    expect((await store.countDeliveries()).pending).toBe(2);
  });

  it('publishes a batch: every message with its fan-out (filters, tenants, paused) as publish would, results in input order', async () => {
    const all = await store.createSubscription(sub({ events: ['*'] }), T0);
    const invoices = await store.createSubscription(sub({ events: ['invoice.*'] }), T0);
    await store.createSubscription(sub({ events: ['user.created'] }), T0);
    await store.createSubscription(sub({ events: ['*'], paused: true }), T0);
    const elsewhere = await store.createSubscription(sub({ events: ['*'], tenant: 'elsewhere' }), T0);
    const inputs = [input('invoice.paid'), input('user.deleted', { now: T0 + 5 }), input('invoice.voided', { tenant: 'elsewhere' }), input('a.b', { tenant: 'nobody' })];
    const results = await store.publishMany(inputs);
    expect(results.map((r) => [r.message.id, r.deliveries, r.duplicate])).toEqual([
      [inputs[0]!.id, 2, false], [inputs[1]!.id, 1, false], [inputs[2]!.id, 1, false], [inputs[3]!.id, 0, false],
    ]);
    const subsOf = async (messageId: string) => (await store.listDeliveries({ messageId })).map((d) => d.subscriptionId).sort();
    expect(await subsOf(inputs[0]!.id)).toEqual([all.id, invoices.id].sort());
    expect(await subsOf(inputs[1]!.id)).toEqual([all.id]);
    expect(await subsOf(inputs[2]!.id)).toEqual([elsewhere.id]);
    expect(await subsOf(inputs[3]!.id)).toEqual([]);
    for (const [i, r] of results.entries()) {
      expect(r.message).toEqual({ id: inputs[i]!.id, tenant: inputs[i]!.tenant, eventType: inputs[i]!.eventType, payload: inputs[i]!.payload, idempotencyKey: null, createdAt: inputs[i]!.now });
      expect(await store.getMessage(r.message.id)).toEqual(r.message);
    }
    expect((await store.listDeliveries({ messageId: inputs[1]!.id }))[0]).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0 + 5, createdAt: T0 + 5 });
    expect(await store.countDeliveries()).toMatchObject({ pending: 4 });
  });

  it('publishes a large batch in one call, every delivery claimable', async () => {
    await store.createSubscription(sub(), T0);
    await store.createSubscription(sub({ events: ['odd.*'] }), T0);
    const results = await store.publishMany(Array.from({ length: 500 }, (_, i) => input(i % 2 ? 'odd.x' : 'even.x')));
    expect(results.reduce((n, r) => n + r.deliveries, 0)).toBe(750);
    expect(await store.countDeliveries()).toMatchObject({ pending: 750 });
    expect(await store.claimDue({ workerId: 'w', limit: 1000, leaseMs: LEASE, now: T0 })).toHaveLength(750);
  });

  it('writes nothing of a batch when one of its messages fails (all or nothing)', async () => {
    await store.createSubscription(sub(), T0);
    const stored = await publish(store, 'a.b');
    // The third message reuses a stored message id: its insert fails after the first two were written.
    const first = input('c.d', { idempotencyKey: 'k1' });
    await expect(store.publishMany([first, input('e.f'), { ...input('g.h'), id: stored.message.id }])).rejects.toThrow();
    // The same id twice within the batch fails the same way.
    const twice = input('i.j');
    await expect(store.publishMany([twice, input('k.l'), twice])).rejects.toThrow();
    expect(await store.getMessage(first.id)).toBeUndefined();
    expect(await store.getMessage(twice.id)).toBeUndefined();
    expect(await store.countDeliveries()).toMatchObject({ pending: 1 });
    // The failed batch's idempotency key was never stored.
    expect(await store.publishMany([{ ...first, id: newId('msg') }])).toMatchObject([{ duplicate: false, deliveries: 1 }]);
  });

  it('honours idempotency keys per tenant across and within batches, writing nothing for duplicates', async () => {
    await store.createSubscription(sub(), T0);
    await store.createSubscription(sub({ tenant: 't2' }), T0);
    const stored = await publish(store, 'a.b', { idempotencyKey: 'a' });
    const batch = [
      input('a.b', { idempotencyKey: 'a' }), // stored before the batch
      input('a.b', { idempotencyKey: 'b' }),
      input('a.b', { idempotencyKey: 'b' }), // used earlier in the same batch
      input('a.b'),
      input('a.b'), // no key: never a duplicate
      input('a.b', { idempotencyKey: 'a', tenant: 't2' }), // keys are per tenant
      input('a.b', { idempotencyKey: 'a' }), // stored, and used earlier in the batch
    ];
    const results = await store.publishMany(batch);
    expect(results.map((r) => [r.duplicate, r.deliveries])).toEqual([[true, 0], [false, 1], [true, 0], [false, 1], [false, 1], [false, 1], [true, 0]]);
    expect(results[0]!.message).toEqual(stored.message);
    expect(results[6]!.message).toEqual(stored.message);
    expect(results[2]!.message).toEqual(results[1]!.message);
    expect(results[1]!.message.id).toBe(batch[1]!.id);
    expect(await store.getMessage(batch[0]!.id)).toBeUndefined();
    expect(await store.getMessage(batch[2]!.id)).toBeUndefined();
    expect(await store.countDeliveries()).toMatchObject({ pending: 5 });

    const again = await store.publishMany([input('x.y', { idempotencyKey: 'b' }), input('x.y', { idempotencyKey: 'a', tenant: 't2' }), input('x.y', { idempotencyKey: 'c' })]);
    expect(again.map((r) => [r.duplicate, r.message.id])).toEqual([[true, batch[1]!.id], [true, batch[5]!.id], [false, again[2]!.message.id]]);
    expect(await store.countDeliveries()).toMatchObject({ pending: 6 });
    // And publish sees the batch's keys.
    expect(await publish(store, 'a.b', { idempotencyKey: 'c' })).toMatchObject({ duplicate: true, deliveries: 0, message: again[2]!.message });
  });

  it('returns [] for an empty batch, writing nothing and waking no worker', async () => {
    await store.createSubscription(sub(), T0);
    let woke = 0;
    const stop = store.onWork(() => woke++);
    expect(await store.publishMany([])).toEqual([]);
    expect(await store.countDeliveries()).toMatchObject({ pending: 0 });
    expect(woke).toBe(0);
    stop();
  });

  it('wakes workers once per batch, not once per message', async () => {
    await store.createSubscription(sub(), T0);
    await store.createSubscription(sub(), T0);
    const batch = Array.from({ length: 5 }, () => input('a.b'));
    if (kind === 'sqlite') {
      // In-process wake-ups: emitted before publishMany returns.
      let woke = 0;
      const stop = store.onWork(() => woke++);
      await store.publishMany(batch);
      expect(woke).toBe(1);
      stop();
      return;
    }
    // PostgreSQL: listen on the store's channel and count the notifications that arrive before one
    // sent after the batch committed (a listener receives notifications in commit order).
    const schema = fx.location.split('#')[1]!;
    const channel = `hookgen_work_${schema}`;
    const listener = new pg.Client({ connectionString: PG_URL });
    await listener.connect();
    try {
      const seen: string[] = [];
      listener.on('notification', (n) => seen.push(n.payload ?? ''));
      await listener.query(`LISTEN "${channel}"`);
      await store.publishMany(batch);
      await listener.query('SELECT pg_notify($1, $2)', [channel, 'after-batch']);
      await expect.poll(() => seen.includes('after-batch'), { timeout: 3000 }).toBe(true);
      expect(seen.indexOf('after-batch')).toBe(1);
    } finally {
      await listener.end();
    }
  });

  it('claims due deliveries with a lease, joined with their message and subscription', async () => {
    const s = await store.createSubscription(sub(), T0);
    const { message } = await publish(store, 'a.b');
    await publish(store, 'later', { now: T0 + 60_000 });
    const claimed = await store.claimDue({ workerId: 'w1', limit: 10, leaseMs: LEASE, now: T0 });
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ status: 'inflight', leaseOwner: 'w1', leaseExpiresAt: T0 + LEASE, message, subscription: { id: s.id, url: s.url } });
    expect(await store.claimDue({ workerId: 'w2', limit: 10, leaseMs: LEASE, now: T0 + 1 })).toEqual([]);
    expect(await store.nextDueAt()).toBe(T0 + LEASE);
  });

  it('gives an expired lease to another worker, and ignores the late report of the first', async () => {
    await store.createSubscription(sub(), T0);
    await publish(store, 'a.b');
    const [mine] = await store.claimDue({ workerId: 'w1', limit: 10, leaseMs: LEASE, now: T0 });
    expect(await store.claimDue({ workerId: 'w2', limit: 10, leaseMs: LEASE, now: T0 + LEASE - 1 })).toEqual([]);
    const [taken] = await store.claimDue({ workerId: 'w2', limit: 10, leaseMs: LEASE, now: T0 + LEASE });
    expect(taken?.id).toBe(mine!.id);
    expect((await succeed(store, 'w1', mine!)).applied).toBe(false);
    expect((await succeed(store, 'w2', mine!)).applied).toBe(true);
    expect(await store.getDelivery(mine!.id)).toMatchObject({ status: 'succeeded', attempts: 1, lastStatus: 204 });
    expect(await store.listAttempts(mine!.id)).toHaveLength(2); // both attempts happened, both are logged
  });

  it('reschedules, fails and logs attempts; tracks the endpoint failure run', async () => {
    const s = await store.createSubscription(sub(), T0);
    await publish(store, 'a.b');
    const [d] = await store.claimDue({ workerId: 'w', limit: 1, leaseMs: LEASE, now: T0 });
    const failed = await store.recordAttempt({
      workerId: 'w', subscriptionId: s.id, endpointOk: false, outcome: { kind: 'retry', nextAttemptAt: T0 + 5000 },
      attempt: { deliveryId: d!.id, n: 1, startedAt: T0, durationMs: 12, status: 500, response: 'x'.repeat(50_000), errorClass: 'http', error: 'HTTP 500' },
    });
    expect(failed).toEqual({ applied: true, firstFailureAt: T0 });
    expect(await store.getDelivery(d!.id)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 5000, lastStatus: 500, leaseOwner: null });
    expect(await store.claimDue({ workerId: 'w', limit: 1, leaseMs: LEASE, now: T0 + 4999 })).toEqual([]);
    const [again] = await store.claimDue({ workerId: 'w', limit: 1, leaseMs: LEASE, now: T0 + 5000 });
    expect(again?.attempts).toBe(1);
    await store.recordAttempt({
      workerId: 'w', subscriptionId: s.id, endpointOk: false, outcome: { kind: 'failed' },
      attempt: { deliveryId: d!.id, n: 2, startedAt: T0 + 5000, durationMs: 3, status: null, response: null, errorClass: 'timeout', error: 'timed out' },
    });
    expect(await store.getDelivery(d!.id)).toMatchObject({ status: 'failed', attempts: 2 });
    const attempts = await store.listAttempts(d!.id);
    expect(attempts.map((a) => [a.n, a.status, a.errorClass])).toEqual([[1, 500, 'http'], [2, null, 'timeout']]);
    expect(attempts[0]!.response!.length).toBe(20_000);
    expect((await store.getSubscription(s.id))!.firstFailureAt).toBe(T0);
  });

  it('replays finished deliveries by id or every failure since a time, keeping their attempt log', async () => {
    const s = await store.createSubscription(sub(), T0);
    await publish(store, 'a.b');
    await publish(store, 'c.d');
    const claimed = await store.claimDue({ workerId: 'w', limit: 2, leaseMs: LEASE, now: T0 });
    const [failedOne, succeededOne] = claimed;
    await store.recordAttempt({
      workerId: 'w', subscriptionId: s.id, endpointOk: false, outcome: { kind: 'failed' },
      attempt: { deliveryId: failedOne!.id, n: 1, startedAt: T0, durationMs: 3, status: 500, response: '', errorClass: 'http', error: 'HTTP 500' },
    });
    await succeed(store, 'w', succeededOne!, 1, T0);
    expect(await store.replay({ failedSince: T0 + 10_000 }, T0 + 20_000)).toBe(0);
    expect(await store.replay({ failedSince: T0 }, T0 + 20_000)).toBe(1);
    expect(await store.getDelivery(failedOne!.id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0 + 20_000, leaseOwner: null });
    expect(await store.replay({ deliveryIds: [succeededOne!.id, failedOne!.id] }, T0 + 30_000)).toBe(1);
    expect(await store.getDelivery(succeededOne!.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await store.claimDue({ workerId: 'w', limit: 5, leaseMs: LEASE, now: T0 + 30_000 })).map((d) => d.id).sort()).toEqual([failedOne!.id, succeededOne!.id].sort());
    expect(await store.listAttempts(failedOne!.id)).toHaveLength(1);
  });

  it('prunes finished deliveries, their attempts and orphaned messages older than a time, and nothing pending', async () => {
    await store.createSubscription(sub(), T0);
    await publish(store, 'a.b');
    await publish(store, 'c.d');
    const [done] = await store.claimDue({ workerId: 'w', limit: 1, leaseMs: LEASE, now: T0 });
    await succeed(store, 'w', done!, 1, T0);
    expect(await store.prune(T0)).toEqual({ deliveries: 0, attempts: 0, messages: 0 });
    expect(await store.prune(T0 + 60_000)).toEqual({ deliveries: 1, attempts: 1, messages: 1 });
    expect(await store.getDelivery(done!.id)).toBeUndefined();
    expect(await store.listAttempts(done!.id)).toEqual([]);
    expect(await store.getMessage(done!.messageId)).toBeUndefined();
    const left = await store.listDeliveries({});
    expect(left.map((d) => d.status)).toEqual(['pending']);
    expect(await store.getMessage(left[0]!.messageId)).toBeDefined();
  });

  it('releases claimed deliveries without an attempt (graceful stop)', async () => {
    await store.createSubscription(sub(), T0);
    await publish(store, 'a.b');
    const [d] = await store.claimDue({ workerId: 'w', limit: 1, leaseMs: LEASE, now: T0 });
    expect(await store.release([d!.id], 'other', T0 + 1)).toBe(0);
    expect(await store.release([d!.id], 'w', T0 + 1)).toBe(1);
    expect(await store.getDelivery(d!.id)).toMatchObject({ status: 'pending', attempts: 0, leaseOwner: null });
    expect(await store.claimDue({ workerId: 'w2', limit: 1, leaseMs: LEASE, now: T0 + 1 })).toHaveLength(1);
  });

  it('holds deliveries of paused subscriptions until resumed, and cancels those of deleted ones', async () => {
    const paused = await store.createSubscription(sub(), T0);
    const gone = await store.createSubscription(sub(), T0);
    await publish(store, 'a.b');
    await store.updateSubscription(paused.id, { paused: true }, T0);
    await store.deleteSubscription(gone.id);
    expect(await store.claimDue({ workerId: 'w', limit: 10, leaseMs: LEASE, now: T0 })).toEqual([]);
    await store.updateSubscription(paused.id, { paused: false }, T0);
    const claimed = await store.claimDue({ workerId: 'w', limit: 10, leaseMs: LEASE, now: T0 });
    expect(claimed.map((d) => d.subscriptionId)).toEqual([paused.id]);
    expect(await store.countDeliveries()).toMatchObject({ cancelled: 1, inflight: 1 });
  });

  it('caps in-flight deliveries per endpoint, so a backlog on one cannot starve the others', async () => {
    const slow = await store.createSubscription(sub({ events: ['slow.*'] }), T0);
    const fast = await store.createSubscription(sub({ events: ['fast.*'] }), T0);
    for (let i = 0; i < 20; i++) await publish(store, 'slow.x', { now: T0 - 1000 + i }); // older: first in line
    for (let i = 0; i < 3; i++) await publish(store, 'fast.x');
    const first = await store.claimDue({ workerId: 'w', limit: 100, leaseMs: LEASE, now: T0, perEndpointLimit: 2 });
    const bySub = (ds: { subscriptionId: string }[], id: string) => ds.filter((d) => d.subscriptionId === id).length;
    expect([bySub(first, slow.id), bySub(first, fast.id)]).toEqual([2, 2]);
    expect(await store.claimDue({ workerId: 'w2', limit: 100, leaseMs: LEASE, now: T0, perEndpointLimit: 2 })).toEqual([]);
    await succeed(store, 'w', first.find((d) => d.subscriptionId === fast.id)!);
    const next = await store.claimDue({ workerId: 'w', limit: 100, leaseMs: LEASE, now: T0, perEndpointLimit: 2 });
    expect(next.map((d) => d.subscriptionId)).toEqual([fast.id]);
  });

  it('never hands the same delivery to two concurrent claimers on two connections', async () => {
    const other = await fx.another();
    for (let i = 0; i < 4; i++) await store.createSubscription(sub(), T0);
    for (let i = 0; i < 50; i++) await publish(store, 'a.b');
    const drain = async (s: Store, workerId: string) => {
      const got: string[] = [];
      for (;;) {
        const batch = await s.claimDue({ workerId, limit: 7, leaseMs: LEASE, now: T0 });
        if (batch.length === 0) return got;
        got.push(...batch.map((d) => d.id));
      }
    };
    const [a, b] = await Promise.all([drain(store, 'a'), drain(other, 'b')]);
    expect(a.length + b.length).toBe(200);
    expect(new Set([...a, ...b]).size).toBe(200);
  });

  it('keeps the per-endpoint cap across concurrent claimers', async () => {
    const other = await fx.another();
    const s = await store.createSubscription(sub(), T0);
    for (let i = 0; i < 30; i++) await publish(store, 'a.b');
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? other : store).claimDue({ workerId: `w${i}`, limit: 5, leaseMs: LEASE, now: T0, perEndpointLimit: 4 })),
    );
    expect(claims.flat().length).toBe(4);
    expect((await store.listDeliveries({ subscriptionId: s.id, status: 'inflight' })).length).toBe(4);
  });

  it('lists deliveries by tenant and creation time, newest first, in keyset pages', async () => {
    const mine = await store.createSubscription(sub({ tenant: 'acme' }), T0);
    await store.createSubscription(sub({ tenant: 'other' }), T0);
    for (let i = 0; i < 5; i++) await publish(store, 'a.b', { tenant: 'acme', now: T0 + i * 1000 });
    await publish(store, 'a.b', { tenant: 'other', now: T0 + 2000 });
    const newest = await store.listDeliveries({ tenant: 'acme', order: 'desc' });
    expect(newest.map((d) => d.createdAt)).toEqual([4, 3, 2, 1, 0].map((i) => T0 + i * 1000));
    expect(newest.every((d) => d.subscriptionId === mine.id)).toBe(true);
    // `since` is inclusive, `until` exclusive, so adjacent windows never count a delivery twice.
    const window = await store.listDeliveries({ tenant: 'acme', since: T0 + 1000, until: T0 + 3000, order: 'desc' });
    expect(window.map((d) => d.createdAt)).toEqual([T0 + 2000, T0 + 1000]);
    const pages: string[][] = [];
    let after: { createdAt: number; id: string } | undefined;
    for (;;) {
      const page = await store.listDeliveries({ tenant: 'acme', order: 'desc', limit: 2, ...(after ? { after } : {}) });
      if (page.length === 0) break;
      pages.push(page.map((d) => d.id));
      after = page[page.length - 1]!;
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(newest.map((d) => d.id));
    expect(await store.listDeliveries({ tenant: 'nobody' })).toEqual([]);
    expect((await store.listDeliveries({ order: 'asc' })).map((d) => d.createdAt)).toEqual([0, 1, 2, 2, 3, 4].map((i) => T0 + i * 1000));
  });

  it('pages deliveries created in the same millisecond by id, without repeating or skipping one', async () => {
    for (let i = 0; i < 3; i++) await store.createSubscription(sub(), T0);
    await publish(store, 'a.b');
    const all = await store.listDeliveries({ order: 'desc' });
    expect(all).toHaveLength(3);
    const first = await store.listDeliveries({ order: 'desc', limit: 1 });
    const rest = await store.listDeliveries({ order: 'desc', after: first[0]! });
    expect([...first, ...rest].map((d) => d.id)).toEqual(all.map((d) => d.id));
    const ascending = await store.listDeliveries({ order: 'asc', after: all[1]! });
    expect(ascending.map((d) => d.id)).toEqual([all[0]!.id]);
  });

  it('lists the failed deliveries last changed since a time (a tenant-scoped failedSince replay)', async () => {
    const s = await store.createSubscription(sub({ tenant: 'acme' }), T0);
    await publish(store, 'a.b', { tenant: 'acme' });
    await publish(store, 'c.d', { tenant: 'acme' });
    const [early, late] = await store.claimDue({ workerId: 'w', limit: 2, leaseMs: LEASE, now: T0 });
    for (const [d, at] of [[early!, T0 + 100], [late!, T0 + 5000]] as const) {
      await store.recordAttempt({
        workerId: 'w', subscriptionId: s.id, endpointOk: false, outcome: { kind: 'failed' },
        attempt: { deliveryId: d.id, n: 1, startedAt: at, durationMs: 1, status: 500, response: '', errorClass: 'http', error: 'HTTP 500' },
      });
    }
    const failed = await store.listDeliveries({ tenant: 'acme', status: 'failed', updatedSince: T0 + 1000 });
    expect(failed.map((d) => d.id)).toEqual([late!.id]);
    expect(await store.listDeliveries({ tenant: 'other', status: 'failed', updatedSince: T0 })).toEqual([]);
  });

  it('reads a message and the attempt log of an unknown delivery as absent', async () => {
    expect(await store.getMessage('msg_nope')).toBeUndefined();
    expect(await store.getDelivery('dlv_nope')).toBeUndefined();
    expect(await store.listAttempts('dlv_nope')).toEqual([]);
  });

  it('signals new work on publish', async () => {
    const listener = await fx.another();
    await store.createSubscription(sub(), T0);
    let woke = 0;
    const stop = listener.onWork(() => woke++);
    const own = store.onWork(() => woke++);
    await new Promise((r) => setTimeout(r, 200)); // PostgreSQL: let LISTEN register
    await publish(store, 'a.b');
    await expect.poll(() => woke, { timeout: 3000 }).toBeGreaterThan(0);
    stop();
    own();
  });
});

describe.runIf(STORE_KINDS.includes('postgres'))('Store conformance: postgres publishMany and a concurrent writer', () => {
  it('returns the message of a key another transaction committed while the batch waited on it', async () => {
    const fx = await makeStore('postgres');
    const other = new pg.Client({ connectionString: PG_URL });
    try {
      await fx.store.createSubscription(sub(), T0);
      await other.connect();
      await other.query(`SET search_path = "${fx.location.split('#')[1]!}"`);
      await other.query('BEGIN');
      const theirs = newId('msg');
      await other.query(`INSERT INTO messages (id, tenant, event_type, payload, idempotency_key, created_at) VALUES ($1, '', 'a.b', '{}', 'k', $2)`, [theirs, T0]);
      const batch = fx.store.publishMany([input('c.d'), input('a.b', { idempotencyKey: 'k' })]);
      // Commit only once the batch's statement waits on the uncommitted key: its snapshot, taken
      // before, cannot show the row that made it skip its own.
      const blocked = async () => Number((await other.query('SELECT count(*) AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))')).rows[0].n);
      await expect.poll(blocked, { timeout: 5000 }).toBe(1);
      await other.query('COMMIT');
      const results = await batch;
      expect(results[0]).toMatchObject({ duplicate: false, deliveries: 1 });
      expect(results[1]).toMatchObject({ duplicate: true, deliveries: 0, message: { id: theirs, idempotencyKey: 'k', createdAt: T0 } });
      expect(await fx.store.countDeliveries()).toMatchObject({ pending: 1 });
    } finally {
      await other.end().catch(() => {});
      await fx.cleanup();
    }
  });
});
