import { createPublicKey, verify as verifyAsymmetric } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { standardWebhooks } from '../../generated/standard-webhooks/index.js';
import { createReceiver, createSender, generateSigningKey, publicKeyOf, publicKeys, signRequest, SubscriptionError, type Sender } from '../../runtime/index.js';
import { github } from '../../generated/github/index.js';
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

/** `whpk_` public key → a node:crypto key, framed by hand (SPKI prefix for Ed25519), independently of hookgen. */
function nodePublicKey(whpk: string) {
  const raw = Buffer.from(whpk.replace(/^whpk_/, ''), 'base64');
  return createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });
}

/** Checks every `v1a` entry of a request with node:crypto alone: Ed25519 over `id.timestamp.body`. */
function v1aValid(whpk: string, got: { headers: Record<string, string>; body: string }): boolean[] {
  const signed = Buffer.from(`${got.headers['webhook-id']}.${got.headers['webhook-timestamp']}.${got.body}`, 'utf8');
  return got.headers['webhook-signature']!.split(' ')
    .filter((entry) => entry.startsWith('v1a,'))
    .map((entry) => verifyAsymmetric(null, signed, nodePublicKey(whpk), Buffer.from(entry.slice(4), 'base64')));
}

describe('Ed25519 (v1a) subscriptions', () => {
  let fx: StoreFixture;
  let endpoint: Receiver;
  let sender: Sender;
  const clock = manualClock();
  beforeEach(async () => {
    fx = await makeStore('sqlite');
    endpoint = await startReceiver();
    clock.set(Date.now());
    sender = createSender({ store: fx.store, clock, allowPrivateAddresses: ['127.0.0.1'] });
  });
  afterEach(async () => {
    await endpoint.close();
    await fx.cleanup();
  });

  it('signs the Go library’s published vector exactly (whsk_ = base64 of the 32-byte seed)', () => {
    // standard-webhooks libraries/go/webhook_asymmetric_test.go TestAsymmetricWebhookSign.
    const signed = signRequest(standardWebhooks, {
      credentials: { publicKey: 'whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=' }, scheme: 'v1a',
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', now: 1614265330_000, body: '{"test": 2432232314}',
    });
    expect(signed.headers['webhook-signature']).toBe('v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==');
    // The public key of that seed is the one the spec's example verifies with.
    expect(publicKeyOf('whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=')).toBe('whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=');
  });

  it('generates a key pair, hands back the public key, and the worker’s v1a deliveries verify with it (hookgen and node:crypto)', async () => {
    const sub = await sender.subscriptions.create({ url: `${endpoint.url}/hooks`, events: ['invoice.*'], signature: 'ed25519' });
    expect(sub.secrets[0]!.secret).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    expect(sub.publicKey).toBe(publicKeyOf(sub.secrets[0]!.secret));
    expect(sub.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const { message } = await sender.publish('invoice.paid', { amount: 42 });
    const worker = sender.worker();
    expect(await worker.tick()).toBe(1);
    await worker.stop();

    const got = endpoint.requests[0]!;
    expect(got.headers['webhook-id']).toBe(message.id);
    expect(got.headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(v1aValid(sub.publicKey!, got)).toEqual([true]);

    const receiver = createReceiver(standardWebhooks, { credentials: { publicKey: sub.publicKey! }, dedup: false });
    const verified = await receiver.verify({ method: 'POST', url: got.path, headers: got.headers, body: got.body });
    expect(verified).toMatchObject({ ok: true, kind: 'event', event: { key: 'invoice.paid', id: message.id, scheme: 'v1a' } });

    const tampered = got.body.replace('42', '43');
    expect(await receiver.verify({ method: 'POST', url: got.path, headers: got.headers, body: tampered })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
    expect(v1aValid(sub.publicKey!, { ...got, body: tampered })).toEqual([false]);
    // Another key pair's public key does not verify it.
    const stranger = createReceiver(standardWebhooks, { credentials: { publicKey: generateSigningKey().publicKey }, dedup: false });
    expect(await stranger.verify({ method: 'POST', url: got.path, headers: got.headers, body: got.body })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('the official standardwebhooks 1.1.1 and svix 1.99.1 libraries cannot verify v1a: they skip every entry but v1', async () => {
    // Their JavaScript Webhook classes take an HMAC secret only and compare `v1` entries; a v1a-only
    // header is "No matching signature found" whatever key they are given. The check above is node:crypto's.
    const { secret } = generateSigningKey();
    await sender.subscriptions.create({ url: endpoint.url, secret });
    await sender.publish('a.b', {});
    const worker = sender.worker();
    await worker.tick();
    await worker.stop();
    const got = endpoint.requests[0]!;
    const asHmacKey = `whsec_${secret.slice(5)}`;
    expect(() => new StandardWebhook(asHmacKey).verify(got.body, got.headers)).toThrow(/No matching signature found/);
    expect(() => new SvixWebhook(asHmacKey).verify(got.body, got.headers)).toThrow(/No matching signature found/);
  });

  it('accepts a given whsk_ key, refuses a public key or a malformed key as the secret', async () => {
    const pair = generateSigningKey();
    const sub = await sender.subscriptions.create({ url: endpoint.url, secret: pair.secret });
    expect(sub.publicKey).toBe(pair.publicKey);
    await expect(sender.subscriptions.create({ url: endpoint.url, secret: pair.publicKey })).rejects.toThrow(/public key \(`whpk_…`\): give the private key/);
    await expect(sender.subscriptions.create({ url: endpoint.url, secret: 'whsk_c2hvcnQ=' })).rejects.toThrow(/32-byte seed; this one decodes to 5 bytes/);
    await expect(sender.subscriptions.create({ url: endpoint.url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', signature: 'ed25519' }))
      .rejects.toThrow(/signature `ed25519` needs a `whsk_…` private key/);
  });

  it('rotation signs with the old and the new key during the grace period; receivers with either public key accept', async () => {
    const sub = await sender.subscriptions.create({ url: endpoint.url, signature: 'ed25519' });
    const rotated = await sender.subscriptions.rotateSecret(sub.id, { graceMs: 3600_000 });
    expect(rotated.secrets[0]!.secret).toMatch(/^whsk_/); // the kind follows the current key
    expect(rotated.publicKey).not.toBe(sub.publicKey);
    expect(publicKeys(rotated.secrets, clock.now())).toEqual([rotated.publicKey, sub.publicKey]);

    await sender.publish('a.b', { n: 1 });
    const worker = sender.worker();
    await worker.tick();
    const during = endpoint.requests[0]!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(v1aValid(rotated.publicKey!, during)).toEqual([true, false]);
    expect(v1aValid(sub.publicKey!, during)).toEqual([false, true]);
    for (const publicKey of [sub.publicKey!, rotated.publicKey!]) {
      const receiver = createReceiver(standardWebhooks, { credentials: { publicKey }, dedup: false });
      expect(await receiver.verify({ method: 'POST', url: '/', headers: during.headers, body: during.body })).toMatchObject({ ok: true });
    }

    clock.advance(3600_001);
    await sender.publish('a.b', { n: 2 });
    await worker.tick();
    await worker.stop();
    const after = endpoint.requests[1]!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(v1aValid(rotated.publicKey!, after)).toEqual([true]);
    const old = createReceiver(standardWebhooks, { credentials: { publicKey: sub.publicKey! }, dedup: false, now: () => clock.now() });
    expect(await old.verify({ method: 'POST', url: '/', headers: after.headers, body: after.body })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('switching from an HMAC secret to a key pair sends v1 and v1a side by side during the grace period', async () => {
    const sub = await sender.subscriptions.create({ url: endpoint.url });
    const hmac = sub.secrets[0]!.secret;
    const rotated = await sender.subscriptions.rotateSecret(sub.id, { signature: 'ed25519', graceMs: 3600_000 });
    await sender.publish('a.b', {});
    const worker = sender.worker();
    await worker.tick();
    await worker.stop();
    const got = endpoint.requests[0]!;
    expect(got.headers['webhook-signature']!.split(' ').map((e) => e.split(',')[0])).toEqual(['v1a', 'v1']);
    // The subscriber's existing HMAC verifier keeps working while it moves to the public key.
    expect(() => new StandardWebhook(hmac).verify(got.body, got.headers)).not.toThrow();
    expect(v1aValid(rotated.publicKey!, got)).toEqual([true]);
  });

  it('a sender signing as a provider without Ed25519 refuses a key pair when the subscription is created', async () => {
    const asGithub = createSender({ store: fx.store, clock, signing: github, allowPrivateAddresses: ['127.0.0.1'] });
    await expect(asGithub.subscriptions.create({ url: endpoint.url, signature: 'ed25519' })).rejects.toThrow(SubscriptionError);
    await expect(asGithub.subscriptions.create({ url: endpoint.url, secret: generateSigningKey().secret })).rejects.toThrow("this sender signs as GitHub, which has no Ed25519 scheme: use `signature: 'hmac'` (a shared secret)");
  });
});
