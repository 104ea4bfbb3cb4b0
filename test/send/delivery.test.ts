import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSender, type EndpointDisabledEvent, type Sender, type SenderOptions } from '../../runtime/index.js';
import { manualClock, startReceiver, type Receiver } from './support/receiver.js';
import { makeStore, STORE_KINDS, type StoreFixture } from './support/stores.js';

const T0 = 1_800_000_000_000;

describe.each(STORE_KINDS)('delivery worker on %s', (kind) => {
  let fx: StoreFixture;
  let endpoint: Receiver;
  let clock: ReturnType<typeof manualClock>;
  let disabled: EndpointDisabledEvent[];
  const make = (extra: Partial<SenderOptions> = {}): Sender =>
    createSender({
      store: fx.store, clock, allowPrivateAddresses: ['127.0.0.1'], random: () => 0.5, // 0.5 = no jitter
      onEndpointDisabled: (e) => void disabled.push(e), ...extra,
    });
  beforeEach(async () => {
    fx = await makeStore(kind);
    endpoint = await startReceiver();
    clock = manualClock(T0);
    disabled = [];
  });
  afterEach(async () => {
    await endpoint.close();
    await fx.cleanup();
  });

  it('fans out by event filter and delivers each matching subscription once', async () => {
    const sender = make();
    const all = await sender.subscriptions.create({ url: `${endpoint.url}/all`, events: ['*'] });
    const invoices = await sender.subscriptions.create({ url: `${endpoint.url}/invoices`, events: ['invoice.*'] });
    await sender.subscriptions.create({ url: `${endpoint.url}/users`, events: ['user.created'] });
    await sender.subscriptions.create({ url: `${endpoint.url}/tenant`, events: ['*'], tenant: 'acme' });
    const paused = await sender.subscriptions.create({ url: `${endpoint.url}/paused`, events: ['*'] });
    await sender.subscriptions.pause(paused.id);
    for (const type of ['invoice.paid', 'invoice.voided', 'user.deleted']) await sender.publish(type, { type });
    const worker = sender.worker();
    expect(await worker.tick()).toBe(5);
    await worker.stop();
    const byPath = (p: string) => endpoint.requests.filter((r) => r.path === p).map((r) => JSON.parse(r.body).type);
    expect(byPath('/all').sort()).toEqual(['invoice.paid', 'invoice.voided', 'user.deleted']);
    expect(byPath('/invoices').sort()).toEqual(['invoice.paid', 'invoice.voided']);
    expect(byPath('/users')).toEqual([]);
    expect(byPath('/tenant')).toEqual([]);
    expect(byPath('/paused')).toEqual([]);
    expect((await fx.store.listDeliveries({ subscriptionId: all.id, status: 'succeeded' })).length).toBe(3);
    expect((await fx.store.listDeliveries({ subscriptionId: invoices.id, status: 'succeeded' })).length).toBe(2);
  });

  it('publishes once per idempotency key', async () => {
    const sender = make();
    await sender.subscriptions.create({ url: endpoint.url });
    const first = await sender.publish('a.b', { n: 1 }, { idempotencyKey: 'k' });
    const again = await sender.publish('a.b', { n: 2 }, { idempotencyKey: 'k' });
    expect(again).toMatchObject({ duplicate: true, message: { id: first.message.id } });
    const worker = sender.worker();
    expect(await worker.tick()).toBe(1);
    await worker.stop();
  });

  it('reports each recorded attempt to onAttempt; a throwing hook goes to onError and loses nothing', async () => {
    endpoint.answer((req, res) => res.writeHead(req.url === '/down' ? 503 : 204).end());
    const errors: unknown[] = [];
    const sender = make({ onError: (error) => void errors.push(error) });
    const up = await sender.subscriptions.create({ url: `${endpoint.url}/up` });
    const down = await sender.subscriptions.create({ url: `${endpoint.url}/down` });
    await sender.publish('a.b', {});
    const seen: Array<[string, number | null, string, boolean]> = [];
    const worker = sender.worker({
      onAttempt: ({ delivery, attempt, outcome, applied }) => {
        seen.push([delivery.subscriptionId, attempt.status, outcome.kind, applied]);
        throw new Error('hook failed');
      },
    });
    expect(await worker.tick()).toBe(2);
    await worker.stop();
    expect(seen.sort()).toEqual([[up.id, 204, 'succeeded', true], [down.id, 503, 'retry', true]].sort());
    expect(errors.map((e) => (e as Error).message)).toEqual(['hook failed', 'hook failed']);
    expect((await fx.store.countDeliveries())).toMatchObject({ succeeded: 1, pending: 1 });
  });

  it('retries a 500 on the schedule, driven by the clock, and fails when the schedule is used up', async () => {
    endpoint.answer((_req, res) => res.writeHead(500).end('boom'));
    const sender = make({ retrySchedule: [5_000, 60_000] });
    await sender.subscriptions.create({ url: endpoint.url });
    const { message } = await sender.publish('a.b', {});
    const worker = sender.worker();
    expect(await worker.tick()).toBe(1);
    const [delivery] = await fx.store.listDeliveries({ messageId: message.id });
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    expect(delivery!.nextAttemptAt - T0).toBeGreaterThanOrEqual(5_000);
    expect(delivery!.nextAttemptAt - T0).toBeLessThan(6_000);
    clock.advance(4_000);
    expect(await worker.tick()).toBe(0);
    clock.advance(2_000);
    expect(await worker.tick()).toBe(1);
    clock.advance(61_000);
    expect(await worker.tick()).toBe(1);
    clock.advance(10 * 3600_000);
    expect(await worker.tick()).toBe(0);
    await worker.stop();
    expect(await fx.store.getDelivery(delivery!.id)).toMatchObject({ status: 'failed', attempts: 3 });
    const attempts = await fx.store.listAttempts(delivery!.id);
    expect(attempts.map((a) => [a.n, a.status, a.errorClass, a.response])).toEqual([[1, 500, 'http', 'boom'], [2, 500, 'http', 'boom'], [3, 500, 'http', 'boom']]);
  });

  it('waits as long as Retry-After asks on 429 and 503, within the cap', async () => {
    endpoint.answer((req, res) => (req.url === '/busy' ? res.writeHead(429, { 'retry-after': '120' }) : res.writeHead(503, { 'retry-after': '999999' })).end());
    const sender = make({ maxRetryAfterMs: 3600_000 });
    const busy = await sender.subscriptions.create({ url: `${endpoint.url}/busy` });
    const down = await sender.subscriptions.create({ url: `${endpoint.url}/down` });
    await sender.publish('a.b', {});
    const worker = sender.worker();
    await worker.tick();
    await worker.stop();
    const [b] = await fx.store.listDeliveries({ subscriptionId: busy.id });
    const [d] = await fx.store.listDeliveries({ subscriptionId: down.id });
    expect(b!.nextAttemptAt - T0).toBeGreaterThanOrEqual(120_000);
    expect(b!.nextAttemptAt - T0).toBeLessThan(121_000);
    expect(d!.nextAttemptAt - T0).toBeGreaterThanOrEqual(3600_000);
    expect(d!.nextAttemptAt - T0).toBeLessThan(3601_000);
  });

  it('treats 410 Gone as unsubscribe: fails the delivery, disables the endpoint, says so', async () => {
    endpoint.answer((_req, res) => res.writeHead(410).end());
    const sender = make();
    const sub = await sender.subscriptions.create({ url: endpoint.url });
    await sender.publish('a.b', {});
    const worker = sender.worker();
    await worker.tick();
    expect((await fx.store.listDeliveries())[0]).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 410 });
    expect(await sender.subscriptions.get(sub.id)).toMatchObject({ disabled: true, disabledReason: 'gone' });
    expect(disabled).toMatchObject([{ reason: 'gone', subscription: { id: sub.id } }]);
    expect((await sender.publish('a.b', {})).deliveries).toBe(0);
    await sender.subscriptions.enable(sub.id);
    expect((await sender.publish('a.b', {})).deliveries).toBe(1);
    await worker.stop();
  });

  it('disables an endpoint that has failed for disableAfterMs, once', async () => {
    endpoint.answer((_req, res) => res.writeHead(502).end());
    const day = 24 * 3600_000;
    const sender = make({ disableAfterMs: day, retrySchedule: [3600_000, 3600_000, 3600_000] });
    const sub = await sender.subscriptions.create({ url: endpoint.url });
    const worker = sender.worker();
    await sender.publish('a.b', {});
    await worker.tick();
    clock.advance(day - 1);
    await sender.publish('a.b', {});
    await worker.tick();
    expect(disabled).toEqual([]);
    clock.advance(2);
    await sender.publish('a.b', {});
    await worker.tick();
    expect(disabled).toMatchObject([{ reason: 'failing', since: T0, subscription: { id: sub.id, disabled: true } }]);
    clock.advance(3600_000);
    expect(await worker.tick()).toBe(0); // disabled: its pending retries wait
    await worker.stop();
  });

  it('clears the failure run on success', async () => {
    let fail = true;
    endpoint.answer((_req, res) => res.writeHead(fail ? 500 : 200).end());
    const sender = make();
    const sub = await sender.subscriptions.create({ url: endpoint.url });
    await sender.publish('a.b', {});
    const worker = sender.worker();
    await worker.tick();
    expect((await sender.subscriptions.get(sub.id))!.firstFailureAt).toBe(T0);
    fail = false;
    clock.advance(10_000);
    await worker.tick();
    expect((await sender.subscriptions.get(sub.id))!.firstFailureAt).toBeNull();
    await worker.stop();
  });
});

describe('delivery failures without an answer (SQLite)', () => {
  let fx: StoreFixture;
  let endpoint: Receiver;
  beforeEach(async () => {
    fx = await makeStore('sqlite');
    endpoint = await startReceiver();
  });
  afterEach(async () => {
    await endpoint.close();
    await fx.cleanup();
  });

  const run = async (extra: Partial<SenderOptions> = {}, path = '/') => {
    const clock = manualClock(T0);
    const sender = createSender({ store: fx.store, clock, allowPrivateAddresses: ['127.0.0.1'], ...extra });
    await sender.subscriptions.create({ url: `${endpoint.url}${path}` });
    await sender.publish('a.b', {});
    const worker = sender.worker();
    await worker.tick();
    await worker.stop();
    const [delivery] = await fx.store.listDeliveries();
    return { delivery: delivery!, attempt: (await fx.store.listAttempts(delivery!.id))[0]! };
  };

  it('times out a receiver that never answers, and retries', async () => {
    endpoint.answer(() => {});
    const { delivery, attempt } = await run({ timeoutMs: 300 });
    expect(attempt).toMatchObject({ status: null, errorClass: 'timeout' });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(250);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('records a connection closed without an answer, and retries', async () => {
    endpoint.answer((req) => req.socket.destroy());
    const { delivery, attempt } = await run();
    expect(attempt).toMatchObject({ status: null, errorClass: 'connection' });
    expect(delivery.status).toBe('pending');
  });

  it('does not follow redirects: a 3xx is a failure', async () => {
    endpoint.answer((req, res) => (req.url === '/moved' ? res.writeHead(302, { location: '/target' }).end() : res.writeHead(204).end()));
    const { attempt } = await run({}, '/moved');
    expect(attempt).toMatchObject({ status: 302, errorClass: 'http' });
    expect(endpoint.requests.map((r) => r.path)).toEqual(['/moved']);
  });
});

describe('worker start and graceful stop', () => {
  let fx: StoreFixture;
  let endpoint: Receiver;
  beforeEach(async () => {
    fx = await makeStore('sqlite');
    endpoint = await startReceiver();
  });
  afterEach(async () => {
    await endpoint.close();
    await fx.cleanup();
  });

  it('delivers as soon as a message is published, without waiting for the poll', async () => {
    const sender = createSender({ store: fx.store, allowPrivateAddresses: ['127.0.0.1'] });
    await sender.subscriptions.create({ url: endpoint.url });
    const worker = sender.worker({ pollIntervalMs: 60_000 });
    worker.start();
    await new Promise((r) => setTimeout(r, 50));
    await sender.publish('a.b', {});
    await expect.poll(() => endpoint.requests.length, { timeout: 2000, interval: 10 }).toBe(1);
    await worker.stop();
    expect((await fx.store.countDeliveries()).succeeded).toBe(1);
  });

  it('lets in-flight deliveries finish on stop', async () => {
    endpoint.answer((_req, res) => setTimeout(() => res.writeHead(204).end(), 300));
    const sender = createSender({ store: fx.store, allowPrivateAddresses: ['127.0.0.1'] });
    await sender.subscriptions.create({ url: endpoint.url });
    await sender.publish('a.b', {});
    const worker = sender.worker({ pollIntervalMs: 10 });
    worker.start();
    await expect.poll(() => endpoint.requests.length, { timeout: 2000, interval: 10 }).toBe(1);
    await worker.stop();
    expect((await fx.store.countDeliveries()).succeeded).toBe(1);
  });

  it('releases what is still in flight when the stop timeout runs out', async () => {
    endpoint.answer(() => {}); // never answers
    const sender = createSender({ store: fx.store, allowPrivateAddresses: ['127.0.0.1'] });
    await sender.subscriptions.create({ url: endpoint.url });
    await sender.publish('a.b', {});
    const worker = sender.worker({ pollIntervalMs: 10, stopTimeoutMs: 100 });
    worker.start();
    await expect.poll(() => endpoint.requests.length, { timeout: 2000, interval: 10 }).toBe(1);
    await worker.stop();
    const [d] = await fx.store.listDeliveries();
    expect(d).toMatchObject({ status: 'pending', attempts: 0, leaseOwner: null });
    expect(await fx.store.listAttempts(d!.id)).toEqual([]);
  });
});
