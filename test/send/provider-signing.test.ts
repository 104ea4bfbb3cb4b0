import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verify as octokitVerify } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aspnetCustom } from '../../generated/aspnet-custom/index.js';
import { github } from '../../generated/github/index.js';
import { stripe } from '../../generated/stripe/index.js';
import { createReceiver, createSender, envelopes, type Provider, type Sender } from '../../runtime/index.js';
import { manualClock, startReceiver, type Captured, type Receiver } from './support/receiver.js';
import { makeStore, type StoreFixture } from './support/stores.js';

/**
 * A sender signing as another provider: a real worker posts to a loopback endpoint, and what arrives
 * must pass both hookgen's receiver for that provider (from its generated module) and the provider's
 * official SDK (@octokit/webhooks-methods 6.0.0, stripe 23.1.0). ASP.NET has no JavaScript SDK: its
 * check recomputes the HMAC with node:crypto as its CustomWebHookReceiver does (hex decoded, any case).
 */

const payload = (path: string) => JSON.parse(readFileSync(new URL(`../../schemas/providers/${path}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const HOUR = 3600_000;

function setup(signing: Provider<object, unknown>) {
  const ctx = {} as { fx: StoreFixture; endpoint: Receiver; sender: Sender; clock: ReturnType<typeof manualClock> };
  beforeEach(async () => {
    ctx.fx = await makeStore('sqlite');
    ctx.endpoint = await startReceiver();
    ctx.clock = manualClock(Date.now()); // real time: the SDKs check timestamps against their own clock
    ctx.sender = createSender({ store: ctx.fx.store, clock: ctx.clock, signing, allowPrivateAddresses: ['127.0.0.1'] });
  });
  afterEach(async () => {
    await ctx.endpoint.close();
    await ctx.fx.cleanup();
  });
  /** Publishes, delivers with a real worker, and returns what the endpoint received. */
  const deliver = async (type: string, data: unknown): Promise<{ got: Captured; id: string }> => {
    const before = ctx.endpoint.requests.length;
    const { message } = await ctx.sender.publish(type, data);
    const worker = ctx.sender.worker();
    expect(await worker.tick()).toBeGreaterThan(0);
    await worker.stop();
    expect(ctx.endpoint.requests).toHaveLength(before + 1);
    return { got: ctx.endpoint.requests[before]!, id: message.id };
  };
  return { ctx, deliver };
}

const asRequest = (got: Captured, body: string = got.body) => ({ method: 'POST', url: got.path, headers: got.headers, body });

describe('signing as GitHub', () => {
  const { ctx, deliver } = setup(github);
  const secret = 'hookgen-github-sender-secret';

  it('sends the payload as the body, X-GitHub-Event without the action, the message id as X-GitHub-Delivery; octokit and hookgen verify', async () => {
    await ctx.sender.subscriptions.create({ url: `${ctx.endpoint.url}/github`, secret });
    const issue = payload('github/examples/issues.opened.json');
    const { got, id } = await deliver('issues.opened', issue);

    expect(JSON.parse(got.body)).toEqual(issue);
    expect(got.headers).toMatchObject({ 'x-github-event': 'issues', 'x-github-delivery': id, 'content-type': 'application/json' });
    expect(got.headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(await octokitVerify(secret, got.body, got.headers['x-hub-signature-256']!)).toBe(true);
    expect(await octokitVerify('another-secret', got.body, got.headers['x-hub-signature-256']!)).toBe(false);

    const receiver = createReceiver(github, { secret, dedup: false });
    expect(await receiver.verify(asRequest(got))).toMatchObject({ ok: true, kind: 'event', event: { key: 'issues.opened', name: 'issues', action: 'opened', id } });
    const tampered = got.body.replace('"opened"', '"closed"');
    expect(await receiver.verify(asRequest(got, tampered))).toMatchObject({ ok: false, reason: 'signature_mismatch' });
    expect(await octokitVerify(secret, tampered, got.headers['x-hub-signature-256']!)).toBe(false);
  });

  it('an event without an action keeps its name (ping)', async () => {
    await ctx.sender.subscriptions.create({ url: ctx.endpoint.url, secret });
    const { got } = await deliver('ping', payload('github/examples/ping.json'));
    expect(got.headers['x-github-event']).toBe('ping');
    expect(await createReceiver(github, { secret, dedup: false }).verify(asRequest(got))).toMatchObject({ ok: true, event: { key: 'ping' } });
  });

  it('rotation: one signature, with the new secret only, from the moment of the rotation (the header carries one)', async () => {
    const sub = await ctx.sender.subscriptions.create({ url: ctx.endpoint.url, secret });
    await ctx.sender.subscriptions.rotateSecret(sub.id, { secret: 'hookgen-github-rotated-secret', graceMs: HOUR });
    const { got } = await deliver('issues.opened', payload('github/examples/issues.opened.json'));
    const signature = got.headers['x-hub-signature-256']!;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/); // not a list: GitHub's verifiers compare the whole value
    expect(await octokitVerify('hookgen-github-rotated-secret', got.body, signature)).toBe(true);
    expect(await octokitVerify(secret, got.body, signature)).toBe(false);
    // The receiving side bridges the switch by trusting both secrets for a while.
    const both = createReceiver(github, { secret: [secret, 'hookgen-github-rotated-secret'], dedup: false });
    expect(await both.verify(asRequest(got))).toMatchObject({ ok: true });
    expect(await createReceiver(github, { secret, dedup: false }).verify(asRequest(got))).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('an explicit envelope still wins over the provider’s default', async () => {
    const sender = createSender({ store: ctx.fx.store, clock: ctx.clock, signing: github, envelope: envelopes.standardWebhooks, allowPrivateAddresses: ['127.0.0.1'] });
    await sender.subscriptions.create({ url: ctx.endpoint.url, secret });
    const { message } = await sender.publish('ping', { zen: 'Keep it logically awesome.' });
    const worker = sender.worker();
    await worker.tick();
    await worker.stop();
    expect(JSON.parse(ctx.endpoint.requests[0]!.body)).toEqual({ type: 'ping', timestamp: new Date(message.createdAt).toISOString(), data: { zen: 'Keep it logically awesome.' } });
  });
});

describe('signing as Stripe', () => {
  const { ctx, deliver } = setup(stripe);
  const sdk = new Stripe('sk_test_hookgen');
  const secret = 'whsec_hookgen_stripe_sender_secret';
  const paymentIntent = () => (payload('stripe/examples/payloads/payment_intent.succeeded.json').data as { object: Record<string, unknown> }).object;

  it('wraps the data in a Stripe event object; constructEvent and hookgen verify it, and dedupe on its evt_ id', async () => {
    await ctx.sender.subscriptions.create({ url: ctx.endpoint.url, secret });
    const object = paymentIntent();
    const { got, id } = await deliver('payment_intent.succeeded', object);

    const event = sdk.webhooks.constructEvent(got.body, got.headers['stripe-signature']!, secret);
    expect(event).toMatchObject({ id: `evt_${id.slice(4)}`, object: 'event', type: 'payment_intent.succeeded', livemode: false, data: { object } });
    expect(event.created).toBe(Math.floor(ctx.clock.now() / 1000));
    expect(got.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const receiver = createReceiver(stripe, { secret, dedup: false });
    expect(await receiver.verify(asRequest(got))).toMatchObject({ ok: true, kind: 'event', event: { key: 'payment_intent.succeeded', id: `evt_${id.slice(4)}` } });
    const tampered = got.body.replace('"livemode":false', '"livemode":true');
    expect(tampered).not.toBe(got.body);
    expect(await receiver.verify(asRequest(got, tampered))).toMatchObject({ ok: false, reason: 'signature_mismatch' });
    expect(() => sdk.webhooks.constructEvent(tampered, got.headers['stripe-signature']!, secret)).toThrow(/No signatures found/);
  });

  it('rotation: the header carries a v1 entry per active secret, as Stripe does during a roll; then the new one only', async () => {
    const sub = await ctx.sender.subscriptions.create({ url: ctx.endpoint.url, secret });
    await ctx.sender.subscriptions.rotateSecret(sub.id, { secret: 'whsec_hookgen_stripe_rolled_secret', graceMs: HOUR });
    const during = (await deliver('payment_intent.succeeded', paymentIntent())).got;
    expect(during.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const s of [secret, 'whsec_hookgen_stripe_rolled_secret']) {
      expect(sdk.webhooks.constructEvent(during.body, during.headers['stripe-signature']!, s).type).toBe('payment_intent.succeeded');
      expect(await createReceiver(stripe, { secret: s, dedup: false }).verify(asRequest(during))).toMatchObject({ ok: true });
    }

    ctx.clock.advance(HOUR + 1);
    const after = (await deliver('payment_intent.succeeded', paymentIntent())).got;
    expect(after.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const nowMs = ctx.clock.now();
    expect(sdk.webhooks.constructEvent(after.body, after.headers['stripe-signature']!, 'whsec_hookgen_stripe_rolled_secret', undefined, undefined, nowMs).type).toBe('payment_intent.succeeded');
    expect(() => sdk.webhooks.constructEvent(after.body, after.headers['stripe-signature']!, secret, undefined, undefined, nowMs)).toThrow(/No signatures found/);
  });
});

describe('signing as ASP.NET WebHooks (aspnet-custom)', () => {
  const { ctx, deliver } = setup(aspnetCustom);
  const secret = 'a6b8f2c4e1d3b5a7c9e0f2d4b6a8c1e3';
  /** What ASP.NET's CustomWebHookReceiver does: `sha256=` + hex (any case), compared as bytes with HMAC-SHA256 of the body. */
  const aspnetAccepts = (got: Captured, key: string, body = got.body) => {
    const header = got.headers['ms-signature'] ?? '';
    if (!header.startsWith('sha256=')) return false;
    return Buffer.from(header.slice(7), 'hex').equals(createHmac('sha256', Buffer.from(key, 'utf8')).update(body, 'utf8').digest());
  };

  it('sends { Id, Attempt, Notifications: [{ Action, …data }] } signed in ms-signature; hookgen and an ASP.NET-style check accept it', async () => {
    await ctx.sender.subscriptions.create({ url: `${ctx.endpoint.url}/api/webhooks/incoming/custom`, secret });
    const { got, id } = await deliver('order.created', { OrderId: 1234, Total: 9.5 });
    expect(JSON.parse(got.body)).toEqual({ Id: id, Attempt: 1, Notifications: [{ Action: 'order.created', OrderId: 1234, Total: 9.5 }] });
    expect(aspnetAccepts(got, secret)).toBe(true);
    expect(aspnetAccepts(got, 'b6b8f2c4e1d3b5a7c9e0f2d4b6a8c1e3')).toBe(false);

    const receiver = createReceiver(aspnetCustom, { secret, dedup: false });
    const result = await receiver.verify(asRequest(got));
    expect(result).toMatchObject({ ok: true, kind: 'events', events: [{ key: 'order.created', id, payload: { Action: 'order.created', OrderId: 1234 } }] });
    const tampered = got.body.replace('1234', '4321');
    expect(await receiver.verify(asRequest(got, tampered))).toMatchObject({ ok: false, reason: 'signature_mismatch' });
    expect(aspnetAccepts(got, secret, tampered)).toBe(false);
  });

  it('rotation: ms-signature holds one signature, made with the current secret', async () => {
    const sub = await ctx.sender.subscriptions.create({ url: ctx.endpoint.url, secret });
    const rotated = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
    await ctx.sender.subscriptions.rotateSecret(sub.id, { secret: rotated, graceMs: HOUR });
    const { got } = await deliver('order.shipped', { OrderId: 1 });
    expect(got.headers['ms-signature']).toMatch(/^sha256=[0-9a-fA-F]{64}$/);
    expect(aspnetAccepts(got, rotated)).toBe(true);
    expect(aspnetAccepts(got, secret)).toBe(false);
  });
});
