import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { standardWebhooks } from '../../generated/standard-webhooks/index.js';
import { createReceiver, createSender, type Sender } from '../../runtime/index.js';
import { manualClock, startReceiver, type Receiver } from './support/receiver.js';
import { makeStore, type StoreFixture } from './support/stores.js';

describe('signed deliveries (Standard Webhooks by default)', () => {
  let fx: StoreFixture;
  let endpoint: Receiver;
  let sender: Sender;
  const clock = manualClock();
  beforeEach(async () => {
    fx = await makeStore('sqlite');
    endpoint = await startReceiver();
    clock.set(Date.now()); // real time: the verifiers check the timestamp against their own clock
    sender = createSender({ store: fx.store, clock, allowPrivateAddresses: ['127.0.0.1'] });
  });
  afterEach(async () => {
    await endpoint.close();
    await fx.cleanup();
  });

  it('is verified by the official standardwebhooks and svix libraries and by hookgen’s own receiver', async () => {
    const sub = await sender.subscriptions.create({ url: `${endpoint.url}/hooks?team=1`, events: ['invoice.*'], headers: { 'X-Api-Key': 'k1' } });
    expect(sub.secrets[0]!.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const { message } = await sender.publish('invoice.paid', { amount: 42 });
    const worker = sender.worker();
    expect(await worker.tick()).toBe(1);
    await worker.stop();

    const [got] = endpoint.requests;
    expect(got!.path).toBe('/hooks?team=1');
    expect(got!.headers).toMatchObject({ 'webhook-id': message.id, 'content-type': 'application/json', 'x-api-key': 'k1' });
    expect(JSON.parse(got!.body)).toEqual({ type: 'invoice.paid', timestamp: new Date(message.createdAt).toISOString(), data: { amount: 42 } });
    const secret = sub.secrets[0]!.secret;
    expect(new StandardWebhook(secret).verify(got!.body, got!.headers)).toMatchObject({ type: 'invoice.paid' });
    expect(new SvixWebhook(secret).verify(got!.body, got!.headers)).toMatchObject({ data: { amount: 42 } });
    const receiver = createReceiver(standardWebhooks, { secret });
    const verified = await receiver.verify({ method: 'POST', url: got!.path, headers: got!.headers, body: got!.body });
    expect(verified).toMatchObject({ ok: true });
  });

  it('signs with the old and the new secret during a rotation’s grace period, then with the new one only', async () => {
    const sub = await sender.subscriptions.create({ url: endpoint.url });
    const old = sub.secrets[0]!.secret;
    const rotated = await sender.subscriptions.rotateSecret(sub.id, { graceMs: 3600_000 });
    const fresh = rotated.secrets[0]!.secret;
    expect(rotated.secrets).toEqual([{ secret: fresh, expiresAt: null }, { secret: old, expiresAt: clock.now() + 3600_000 }]);

    await sender.publish('a.b', {});
    const worker = sender.worker();
    await worker.tick();
    const during = endpoint.requests[0]!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [old, fresh]) expect(() => new StandardWebhook(secret).verify(during.body, during.headers)).not.toThrow();
    expect(() => new SvixWebhook(old).verify(during.body, during.headers)).not.toThrow();

    clock.advance(3600_001);
    await sender.publish('a.b', {});
    await worker.tick();
    const after = endpoint.requests[1]!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new StandardWebhook(old).verify(after.body, { ...after.headers, 'webhook-timestamp': after.headers['webhook-timestamp']! })).toThrow();
    await worker.stop();
  });

  it('keeps the same webhook-id across retries, so receivers can deduplicate', async () => {
    endpoint.answer((_req, res) => res.writeHead(500).end());
    await sender.subscriptions.create({ url: endpoint.url });
    await sender.publish('a.b', {});
    const worker = sender.worker();
    await worker.tick();
    clock.advance(10_000);
    await worker.tick();
    await worker.stop();
    expect(endpoint.requests).toHaveLength(2);
    expect(endpoint.requests[0]!.headers['webhook-id']).toBe(endpoint.requests[1]!.headers['webhook-id']);
  });
});
