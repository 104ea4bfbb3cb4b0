import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSender } from '../../runtime/index.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { spawnWorker, waitForExit } from './support/spawn.js';
import { makeStore, pgAvailable, STORE_KINDS, type StoreFixture } from './support/stores.js';

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

  it('three worker processes share 3,000 deliveries without losing or duplicating any', async () => {
    await seed(fx, endpoint, 3, 1000);
    const started = Date.now();
    for (const name of ['a', 'b', 'c']) {
      children.push(await spawnWorker({ HOOKGEN_STORE: fx.location, HOOKGEN_WORKER_NAME: name, HOOKGEN_CONCURRENCY: '32' }));
    }
    const counts = await settled(fx, 40_000);
    const seconds = (Date.now() - started) / 1000;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map(waitForExit));
    expect(counts).toMatchObject({ succeeded: 3000, pending: 0, inflight: 0 });
    expect(arrivals(endpoint)).toEqual({ distinct: 3000, duplicates: 0 }); // no lease expired, so no duplicate
    const share = new Map<string, number>();
    for (const r of endpoint.requests) share.set(r.headers['user-agent']!, (share.get(r.headers['user-agent']!) ?? 0) + 1);
    expect(share.size).toBe(3);
    console.info(`[scale postgres] 3000 deliveries by 3 processes in ${seconds.toFixed(1)} s; shares ${[...share.values()].join('/')}`);
  }, 90_000);
});
