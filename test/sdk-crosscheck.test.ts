import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { createReceiver, signRequest } from '../runtime/index.js';
import { github } from '../generated/github/index.js';
import { stripe } from '../generated/stripe/index.js';
import { standardWebhooks } from '../generated/standard-webhooks/index.js';
import { flipByte } from './support/crosscheck.js';

/**
 * hookgen against the providers' official SDKs, in both directions: what the SDK signs hookgen
 * accepts (and refuses once tampered with), and what hookgen signs the SDK accepts (and refuses
 * under another secret). Any disagreement is a bug in one reading of the scheme.
 */

const read = (path: string) => readFileSync(new URL(`../schemas/providers/${path}`, import.meta.url), 'utf8');

describe('GitHub × @octokit/webhooks-methods 6.0.0', () => {
  const secret = 'crosscheck-github-secret';
  const body = read('github/examples/issues.opened.json');
  const delivery = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
  const receiver = createReceiver(github, { secret, dedup: false });
  const headersFor = (signature: string) => ({
    'Content-Type': 'application/json',
    'X-GitHub-Event': 'issues',
    'X-GitHub-Delivery': delivery,
    'X-Hub-Signature-256': signature,
  });

  it('accepts a body signed by octokit sign()', async () => {
    const signature = await octokitSign(secret, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    const result = await receiver.verify({ method: 'POST', url: '/', headers: headersFor(signature), body });
    expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
    if (!result.ok || result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
    expect(result.event).toMatchObject({ key: 'issues.opened', name: 'issues', action: 'opened', id: delivery, provider: 'github', scheme: 'sha256' });
    expect(result.event.payload).toEqual(JSON.parse(body));
  });

  it('accepts the octokit-signed body as bytes too', async () => {
    const signature = await octokitSign(secret, body);
    const result = await receiver.verify({ method: 'POST', url: '/', headers: headersFor(signature), body: Buffer.from(body, 'utf8') });
    expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: 'issues.opened', id: delivery } });
  });

  it('refuses the octokit-signed body with one byte changed', async () => {
    const signature = await octokitSign(secret, body);
    for (const at of [0, Math.floor(body.length / 2), Buffer.byteLength(body) - 1]) {
      const result = await receiver.verify({ method: 'POST', url: '/', headers: headersFor(signature), body: flipByte(body, at) });
      expect(result).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    }
  });

  it('refuses an octokit signature made with another secret', async () => {
    const signature = await octokitSign('some-other-secret', body);
    const result = await receiver.verify({ method: 'POST', url: '/', headers: headersFor(signature), body });
    expect(result).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
  });

  it('signs what octokit verify() accepts, and exactly what octokit sign() computes', async () => {
    const request = signRequest(github, { secret, body, now: 1_764_388_800_000, id: delivery, event: 'issues', headers: { 'Content-Type': 'application/json' } });
    const header = request.headers['x-hub-signature-256'];
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(header).toBe(await octokitSign(secret, body));
    expect(request.headers['x-github-delivery']).toBe(delivery);
    expect(request.headers['x-github-event']).toBe('issues');
    expect(await octokitVerify(secret, body, header!)).toBe(true);
    expect(await octokitVerify('some-other-secret', body, header!)).toBe(false);
    expect(await octokitVerify(secret, flipByte(body).toString('utf8'), header!)).toBe(false);
    // and the signed request round-trips through hookgen itself
    const result = await receiver.verify(request);
    expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: 'issues.opened', id: delivery } });
  });
});

describe('Stripe × stripe 23.1.0', () => {
  const sdk = new Stripe('sk_test_x');
  const secret = 'whsec_crosscheck_stripe_secret';
  const body = read('stripe/examples/payloads/payment_intent.succeeded.json');
  const eventId = 'evt_1NKcjaLkdIwHu7ixobc5G4ty';
  const t = 1_764_388_800;
  const receiverAt = (seconds: number, s = secret) => createReceiver(stripe, { secret: s, now: () => seconds * 1000, dedup: false });
  const headersFor = (signature: string) => ({ 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': signature });

  it('accepts a header from generateTestHeaderString()', async () => {
    const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t });
    expect(header).toMatch(new RegExp(`^t=${t},v1=[0-9a-f]{64}$`));
    const result = await receiverAt(t + 30).verify({ method: 'POST', url: '/', headers: headersFor(header), body });
    expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
    if (!result.ok || result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
    expect(result.event).toMatchObject({ key: 'payment_intent.succeeded', name: 'payment_intent.succeeded', id: eventId, provider: 'stripe', scheme: 'v1' });
    expect(result.event.action).toBeUndefined();
  });

  it('refuses the Stripe-signed body with one byte changed, and under another secret', async () => {
    const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t });
    const tampered = await receiverAt(t + 30).verify({ method: 'POST', url: '/', headers: headersFor(header), body: flipByte(body) });
    expect(tampered).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    const otherSecret = await receiverAt(t + 30, 'whsec_not_this_one').verify({ method: 'POST', url: '/', headers: headersFor(header), body });
    expect(otherSecret).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
  });

  it('signs what constructEvent() accepts, and exactly what generateTestHeaderString() computes', () => {
    const request = signRequest(stripe, { secret, body, now: t * 1000, headers: { 'Content-Type': 'application/json' } });
    const header = request.headers['stripe-signature']!;
    expect(header).toBe(sdk.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t }));
    const event = sdk.webhooks.constructEvent(body, header, secret, undefined, undefined, (t + 30) * 1000);
    expect(event.id).toBe(eventId);
    expect(event.type).toBe('payment_intent.succeeded');
    expect(() => sdk.webhooks.constructEvent(body, header, 'whsec_not_this_one', undefined, undefined, (t + 30) * 1000)).toThrow(/No signatures found/);
    expect(() => sdk.webhooks.constructEvent(flipByte(body), header, secret, undefined, undefined, (t + 30) * 1000)).toThrow(/No signatures found/);
  });

  it('signs what constructEventAsync() accepts (under the real clock)', async () => {
    const now = Date.now();
    const request = signRequest(stripe, { secret, body, now });
    const header = request.headers['stripe-signature']!;
    expect(header).toMatch(new RegExp(`^t=${Math.floor(now / 1000)},v1=[0-9a-f]{64}$`));
    const event = await sdk.webhooks.constructEventAsync(body, header, secret);
    expect(event.id).toBe(eventId);
    expect(event.type).toBe('payment_intent.succeeded');
    await expect(sdk.webhooks.constructEventAsync(body, header, 'whsec_not_this_one')).rejects.toThrow(/No signatures found/);
  });

  it('agrees with Stripe on the tolerance: 300 s old passes, 301 s old is refused by both', async () => {
    const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t });
    const request = { method: 'POST', url: '/', headers: headersFor(header), body };

    const edge = await receiverAt(t + 300).verify(request);
    expect(edge).toMatchObject({ ok: true, kind: 'event', event: { id: eventId } });
    expect(sdk.webhooks.constructEvent(body, header, secret, undefined, undefined, (t + 300) * 1000).id).toBe(eventId);

    const stale = await receiverAt(t + 301).verify(request);
    expect(stale).toMatchObject({ ok: false, reason: 'timestamp_too_old', status: 401, authenticated: true });
    let message = '';
    try {
      sdk.webhooks.constructEvent(body, header, secret, undefined, undefined, (t + 301) * 1000);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('tolerance');
  });
});

describe('Standard Webhooks × standardwebhooks 1.1.1 and svix 1.99.1', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const otherSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const body = read('standard-webhooks/examples/invoice.paid.json');
  const t = 1_764_388_800;
  const receiverAt = (seconds: number, s = secret) => createReceiver(standardWebhooks, { secret: s, now: () => seconds * 1000, dedup: false });

  it('accepts webhook-* headers signed by standardwebhooks sign()', async () => {
    const id = 'msg_crosscheck_standard_1';
    const signature = new StandardWebhook(secret).sign(id, new Date(t * 1000), body);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    const headers = { 'Content-Type': 'application/json', 'Webhook-Id': id, 'Webhook-Timestamp': String(t), 'Webhook-Signature': signature };
    const result = await receiverAt(t + 10).verify({ method: 'POST', url: '/', headers, body });
    expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
    if (!result.ok || result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
    expect(result.event).toMatchObject({ key: 'invoice.paid', name: 'invoice.paid', id, provider: 'standard-webhooks', scheme: 'v1' });
    expect(result.event.payload).toEqual(JSON.parse(body));
  });

  it('accepts svix-* headers signed by svix sign()', async () => {
    const id = 'msg_crosscheck_svix_1';
    const signature = new SvixWebhook(secret).sign(id, new Date(t * 1000), body);
    const headers = { 'content-type': 'application/json', 'svix-id': id, 'svix-timestamp': String(t), 'svix-signature': signature };
    const result = await receiverAt(t + 10).verify({ method: 'POST', url: '/', headers, body });
    expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
    expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: 'invoice.paid', id, scheme: 'svix-v1' } });
  });

  it('refuses library-signed requests that were tampered with or use another secret', async () => {
    const id = 'msg_crosscheck_standard_2';
    const signature = new StandardWebhook(secret).sign(id, new Date(t * 1000), body);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(t), 'webhook-signature': signature };
    const tampered = await receiverAt(t).verify({ method: 'POST', url: '/', headers, body: flipByte(body) });
    expect(tampered).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    const otherId = await receiverAt(t).verify({ method: 'POST', url: '/', headers: { ...headers, 'webhook-id': `${id}x` }, body });
    expect(otherId).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    const wrongKey = await receiverAt(t, otherSecret).verify({ method: 'POST', url: '/', headers, body });
    expect(wrongKey).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });

    const svixSignature = new SvixWebhook(secret).sign(id, new Date(t * 1000), body);
    const svixHeaders = { 'svix-id': id, 'svix-timestamp': String(t), 'svix-signature': svixSignature };
    const svixTampered = await receiverAt(t).verify({ method: 'POST', url: '/', headers: svixHeaders, body: flipByte(body) });
    expect(svixTampered).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
  });

  it('signs what both libraries verify() (under the real clock)', () => {
    const id = `msg_${randomUUID()}`;
    const request = signRequest(standardWebhooks, { secret, body, now: Date.now(), id, headers: { 'Content-Type': 'application/json' } });
    expect(request.headers['webhook-id']).toBe(id);
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    // deterministic HMAC: the library computes the very same signature
    expect(request.headers['webhook-signature']).toBe(new StandardWebhook(secret).sign(id, new Date(Number(request.headers['webhook-timestamp']) * 1000), body));
    expect(new StandardWebhook(secret).verify(body, request.headers)).toEqual(JSON.parse(body));
    expect(new SvixWebhook(secret).verify(body, request.headers)).toEqual(JSON.parse(body));
  });

  it('signs svix-* headers (scheme svix-v1) that svix verify() accepts', () => {
    const id = `msg_${randomUUID()}`;
    const request = signRequest(standardWebhooks, { secret, body, now: Date.now(), scheme: 'svix-v1', headers: { 'svix-id': id } });
    expect(request.headers['svix-signature']).toMatch(/^v1,/);
    expect(request.headers['svix-timestamp']).toMatch(/^\d+$/);
    expect(request.headers['webhook-signature']).toBeUndefined();
    expect(new SvixWebhook(secret).verify(body, { 'svix-id': id, 'svix-timestamp': request.headers['svix-timestamp']!, 'svix-signature': request.headers['svix-signature']! })).toEqual(JSON.parse(body));
  });

  it('makes both libraries refuse a hookgen signature over a tampered body or under another secret', () => {
    const request = signRequest(standardWebhooks, { secret, body, now: Date.now(), id: `msg_${randomUUID()}` });
    const tampered = flipByte(body).toString('utf8');
    expect(() => new StandardWebhook(secret).verify(tampered, request.headers)).toThrow('No matching signature found');
    expect(() => new SvixWebhook(secret).verify(tampered, request.headers)).toThrow('No matching signature found');
    expect(() => new StandardWebhook(otherSecret).verify(body, request.headers)).toThrow('No matching signature found');
    expect(() => new SvixWebhook(otherSecret).verify(body, request.headers)).toThrow('No matching signature found');
  });

  it('agrees with the libraries on the tolerance (old and future timestamps)', async () => {
    const id = 'msg_crosscheck_tolerance';
    const now = Math.floor(Date.now() / 1000);
    for (const [offset, reason, libraryMessage] of [
      [-310, 'timestamp_too_old', 'Message timestamp too old'],
      [310, 'timestamp_in_future', 'Message timestamp too new'],
    ] as const) {
      const request = signRequest(standardWebhooks, { secret, body, now: (now + offset) * 1000, id });
      expect(() => new StandardWebhook(secret).verify(body, request.headers)).toThrow(libraryMessage);
      const result = await receiverAt(now).verify(request);
      expect(result).toMatchObject({ ok: false, reason, status: 401, authenticated: true });
    }
  });
});
