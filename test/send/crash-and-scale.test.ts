import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSender } from '../../runtime/index.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { spawnWorker, waitForExit } from './support/spawn.js';
import { makeStore, PG_URL, pgAvailable, STORE_KINDS, type StoreFixture } from './support/stores.js';

/** Publishes `messages` messages to `subscribers` loopback subscriptions (one path each). */
async function seed(fx: StoreFixture, endpoint: Receiver, subscribers: number, messages: number) {
  const sender = createSender({ store: fx.store });
  for (let i = 0; i < subscribers; i++) await sender.subscriptions.create({ url: `${endpoint.url}/s${i}` });
  for (let i = 0; i < messages; i++) await sender.publish('order.created', { i, pad: 'x'.repeat(200) });
}

/** Every (message, subscriber) pair that arrived, and how many arrived more than once. */
function arrivals(endpoint: Receiver) {
  const seen = new Map<string, number>();
  for (const r of endpoint.requests) {
    const key = `${r.headers['webhook-id']}|${r.path}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return { distinct: seen.size, duplicates: endpoint.requests.length - seen.size };
}

async function settled(fx: StoreFixture, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const counts = await fx.store.countDeliveries();
    if (counts.pending + counts.inflight === 0 || Date.now() > until) return counts;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(STORE_KINDS)('crash safety on %s', (kind) => {
  let fx: StoreFixture;
  let endpoint: Receiver;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    fx = await makeStore(kind);
    // Slow enough that a SIGKILL lands with deliveries in flight.
    endpoint = await startReceiver((_req, res) => setTimeout(() => res.writeHead(204).end(), 20));
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await endpoint.close();
    await fx.cleanup();
  });

  it('a worker killed with SIGKILL mid-delivery loses nothing: another worker takes over its leases', async () => {
    await seed(fx, endpoint, 3, 100);
    const env = { HOOKGEN_STORE: fx.location, HOOKGEN_LEASE_MS: '1500', HOOKGEN_CONCURRENCY: '16' };
    const first = await spawnWorker({ ...env, HOOKGEN_WORKER_NAME: 'first' });
    children.push(first);
    await expect.poll(() => endpoint.requests.length, { timeout: 10_000, interval: 5 }).toBeGreaterThanOrEqual(60);
    first.kill('SIGKILL');
    await waitForExit(first);
    const atKill = await fx.store.countDeliveries();
    expect(atKill.inflight + atKill.pending).toBeGreaterThan(0); // it died with work left

    const second = await spawnWorker({ ...env, HOOKGEN_WORKER_NAME: 'second' });
    children.push(second);
    const counts = await settled(fx, 20_000);
    second.kill('SIGTERM');
    await waitForExit(second);
    expect(counts).toMatchObject({ succeeded: 300, pending: 0, inflight: 0, failed: 0 });
    const { distinct, duplicates } = arrivals(endpoint);
    expect(distinct).toBe(300);
    // Duplicates only for what the killed worker had in flight (at most its concurrency).
    expect(duplicates).toBeLessThanOrEqual(16);
    console.info(`[crash ${kind}] ${endpoint.requests.length} requests for 300 deliveries; ${duplicates} re-sent after the kill; ${atKill.inflight} leases taken back`);
  }, 60_000);
});

describe.skipIf(!pgAvailable)('scale on PostgreSQL', () => {
  let fx: StoreFixture;
  let endpoint: Receiver;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    fx = await makeStore('postgres');
    endpoint = await startReceiver();
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await endpoint.close();
    await fx.cleanup();
  });

  it('three worker processes share 10,000 deliveries, losing none, re-sending only after a lease expiry', async () => {
    const SUBSCRIBERS = 10;
    const MESSAGES = 1000;
    const TOTAL = SUBSCRIBERS * MESSAGES;
    const LEASE_MS = 60_000;
    await seed(fx, endpoint, SUBSCRIBERS, MESSAGES);
    const started = Date.now();
    for (const name of ['a', 'b', 'c']) {
      children.push(await spawnWorker({ HOOKGEN_STORE: fx.location, HOOKGEN_WORKER_NAME: name, HOOKGEN_CONCURRENCY: '32', HOOKGEN_LEASE_MS: String(LEASE_MS) }));
    }
    const counts = await settled(fx, 150_000);
    const ms = Date.now() - started;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map(waitForExit));
    expect(counts).toMatchObject({ succeeded: TOTAL, pending: 0, inflight: 0, failed: 0 });

    // Receiver side: every (message, subscriber) pair arrived at least once.
    const perDelivery = new Map<string, number>();
    for (const r of endpoint.requests) {
      const key = `${r.headers['webhook-id']}|${r.path}`;
      perDelivery.set(key, (perDelivery.get(key) ?? 0) + 1);
    }
    expect(perDelivery.size).toBe(TOTAL);
    const duplicates = endpoint.requests.length - perDelivery.size;

    // Every endpoint answers 204, so a delivery is attempted twice only when its lease expired and
    // another worker took it back: the attempt log counts those re-sends.
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    const schema = fx.location.split('#')[1]!;
    const { rows } = await db.query<{ attempts: string }>(`SELECT count(*) AS attempts FROM "${schema}".attempts`);
    await db.end();
    const resent = Number(rows[0]!.attempts) - TOTAL;
    expect(duplicates).toBe(resent);
    // No lease can have expired in a run shorter than the lease, so then there is no duplicate at all.
    if (ms < LEASE_MS) expect(duplicates).toBe(0);

    const share = new Map<string, number>();
    for (const r of endpoint.requests) share.set(r.headers['user-agent']!, (share.get(r.headers['user-agent']!) ?? 0) + 1);
    expect([...share.keys()].sort()).toEqual(['hookgen-test/a', 'hookgen-test/b', 'hookgen-test/c']);
    expect([...share.values()].every((n) => n > 0)).toBe(true);
    console.info(`[scale postgres] ${TOTAL} deliveries by 3 processes in ${(ms / 1000).toFixed(1)} s; shares ${[...share.values()].join('/')}; ${duplicates} re-sent`);
  }, 240_000);
});
