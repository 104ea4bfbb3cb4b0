import { readFileSync } from 'node:fs';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createReceiver, signRequest } from '../runtime/index.js';
import { shopify } from '../generated/shopify/index.js';
import { zoom } from '../generated/zoom/index.js';
import { flipByte } from './support/crosscheck.js';

/**
 * Shopify and Zoom against their documented algorithms, written out with raw node:crypto, in both
 * directions: what the documented algorithm signs hookgen's generated receiver accepts (and refuses once
 * tampered with), and what hookgen signs the documented check accepts (and refuses under another secret).
 * Neither provider ships a verifier that could run here: `@shopify/shopify-api` is not a dependency of
 * this project, and Zoom's Rivet verifies inside its own HTTP server. The mirrors below follow
 * https://shopify.dev/docs/apps/build/webhooks/verify-deliveries and Zoom's own sample receiver
 * (github.com/zoom/webhook-sample, index.js) line by line.
 */

const read = (path: string) => readFileSync(new URL(`../schemas/providers/${path}`, import.meta.url));

// ---------------------------------------------------------------------------------------------
// Shopify: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(client secret as UTF-8, raw body)).

/** Shopify's documented computation: HMAC-SHA256 of the raw body, keyed by the client secret, base64. */
function shopifyHmac(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

/** Shopify's documented check: decode the header and compare the digests in constant time. */
function shopifyVerify(secret: string, body: Buffer | string, header: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(header, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const shopifyTopics = [
  ['orders/create', 'orders_create'],
  ['orders/paid', 'orders_paid'],
  ['orders/updated', 'orders_updated'],
  ['products/create', 'products_create'],
  ['products/update', 'products_update'],
  ['customers/create', 'customers_create'],
  ['app/uninstalled', 'app_uninstalled'],
  ['customers/data_request', 'customers_data_request'],
  ['customers/redact', 'customers_redact'],
  ['shop/redact', 'shop_redact'],
] as const;

describe('Shopify × the documented HMAC (raw node:crypto)', () => {
  const secret = 'shpss_crosscheck_shopify_client_secret';
  const receiver = (s: string | string[] = secret) => createReceiver(shopify, { secret: s, dedup: false });
  const headersFor = (topic: string, hmac: string, webhookId: string) => ({
    'Content-Type': 'application/json',
    'X-Shopify-Topic': topic,
    'X-Shopify-Hmac-Sha256': hmac,
    'X-Shopify-Shop-Domain': 'jsmith.myshopify.com',
    'X-Shopify-API-Version': '2026-10',
    'X-Shopify-Webhook-Id': webhookId,
    'X-Shopify-Event-Id': randomUUID(),
    'X-Shopify-Triggered-At': '2026-12-04T14:12:46.512345678Z',
  });

  it("computes the HMAC Shopify's own SDK test asserts for its valid request", () => {
    // Shopify/shopify-app-js packages/apps/shopify-api/lib/webhooks/__tests__/validate.test.ts
    const published = 'B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=';
    expect(shopifyHmac('test_secret_key', '{"foo": "bar"}')).toBe(published);
    const request = signRequest(shopify, { secret: 'test_secret_key', body: '{"foo": "bar"}', event: 'products/create', id: '123456789' });
    expect(request.headers['x-shopify-hmac-sha256']).toBe(published);
  });

  it.each(shopifyTopics)('accepts %s signed by the documented algorithm, dispatched under the topic as sent', async (topic, file) => {
    const body = read(`shopify/examples/payloads/${file}.json`);
    const webhookId = randomUUID();
    const result = await receiver().verify({ method: 'POST', url: '/webhooks', headers: headersFor(topic, shopifyHmac(secret, body), webhookId), body });
    expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
    if (!result.ok || result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
    expect(result.event).toMatchObject({ key: topic, name: topic, id: webhookId, provider: 'shopify', scheme: 'hmac-sha256' });
    expect(result.event.payload).toEqual(JSON.parse(body.toString('utf8')));
  });

  it('signs over the raw bytes: a body with non-ASCII text, as a string and as bytes', async () => {
    const body = '{"id":788032119674292922,"title":"Café crème ☕ — 東京","body_html":"<p>naïve</p>"}';
    const hmac = shopifyHmac(secret, Buffer.from(body, 'utf8'));
    for (const given of [body, Buffer.from(body, 'utf8')]) {
      const result = await receiver().verify({ method: 'POST', url: '/', headers: headersFor('products/update', hmac, 'w-1'), body: given });
      expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: 'products/update', payload: { title: 'Café crème ☕ — 東京' } } });
    }
  });

  it('refuses documented-algorithm signatures over a changed body or with another secret', async () => {
    const body = read('shopify/examples/payloads/orders_create.json');
    const hmac = shopifyHmac(secret, body);
    for (const at of [0, Math.floor(body.length / 2), body.length - 1]) {
      const tampered = await receiver().verify({ method: 'POST', url: '/', headers: headersFor('orders/create', hmac, 'w-2'), body: flipByte(body, at) });
      expect(tampered).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    }
    const other = await receiver().verify({ method: 'POST', url: '/', headers: headersFor('orders/create', shopifyHmac('shpss_some_other_secret', body), 'w-2'), body });
    expect(other).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    // the hex digest (a common mistake) is not Shopify's encoding
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    const wrongEncoding = await receiver().verify({ method: 'POST', url: '/', headers: headersFor('orders/create', hex, 'w-2'), body });
    expect(wrongEncoding).toMatchObject({ ok: false, authenticated: false });
  });

  it('accepts either secret during a client secret rotation', async () => {
    const body = read('shopify/examples/payloads/shop_redact.json');
    for (const signer of ['shpss_new_secret', 'shpss_old_secret']) {
      const result = await receiver(['shpss_new_secret', 'shpss_old_secret']).verify({ method: 'POST', url: '/', headers: headersFor('shop/redact', shopifyHmac(signer, body), 'w-3'), body });
      expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: 'shop/redact' } });
    }
  });

  it('signs what the documented check accepts, placing the topic and the webhook id where Shopify does', async () => {
    const body = read('shopify/examples/payloads/orders_paid.json');
    const webhookId = randomUUID();
    const request = signRequest(shopify, { secret, body, event: 'orders/paid', id: webhookId, headers: { 'content-type': 'application/json' } });
    const header = request.headers['x-shopify-hmac-sha256']!;
    expect(header).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(header).toBe(shopifyHmac(secret, body));
    expect(request.headers['x-shopify-topic']).toBe('orders/paid');
    expect(request.headers['x-shopify-webhook-id']).toBe(webhookId);
    expect(shopifyVerify(secret, body, header)).toBe(true);
    expect(shopifyVerify('shpss_some_other_secret', body, header)).toBe(false);
    expect(shopifyVerify(secret, flipByte(body), header)).toBe(false);
    const result = await receiver().verify(request);
    expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: 'orders/paid', id: webhookId } });
  });

  it('deduplicates by X-Shopify-Webhook-Id, not by X-Shopify-Event-Id (shared by the deliveries of one merchant action)', async () => {
    const seen: string[] = [];
    const dedupReceiver = createReceiver(shopify, { secret }).onAny((event) => void seen.push(`${event.key} ${event.id}`));
    const eventId = randomUUID();
    const send = async (topic: string, file: string, webhookId: string) => {
      const body = read(`shopify/examples/payloads/${file}.json`);
      const response = await dedupReceiver.handle({ method: 'POST', url: '/', headers: { ...headersFor(topic, shopifyHmac(secret, body), webhookId), 'X-Shopify-Event-Id': eventId }, body });
      expect(response.status).toBe(200);
    };
    const [created, paid] = [randomUUID(), randomUUID()];
    await send('orders/create', 'orders_create', created);
    await send('orders/create', 'orders_create', created); // Shopify's retry of the same delivery
    await send('orders/paid', 'orders_paid', paid); // same merchant action, same event id, another delivery
    expect(seen).toEqual([`orders/create ${created}`, `orders/paid ${paid}`]);
  });
});

// ---------------------------------------------------------------------------------------------
// Zoom: x-zm-signature = "v0=" + hex(HMAC-SHA256(secret token, "v0:" + x-zm-request-timestamp + ":" + raw body)).

/** Zoom's sample receiver: `v0=${createHmac('sha256', token).update(`v0:${ts}:${body}`).digest('hex')}`. */
function zoomSignature(secretToken: string, timestamp: string, body: Buffer | string): string {
  return `v0=${createHmac('sha256', secretToken).update(Buffer.concat([Buffer.from(`v0:${timestamp}:`), Buffer.from(body)])).digest('hex')}`;
}

/** Zoom's URL validation answer: encryptedToken = hex HMAC-SHA256 of plainToken under the secret token. */
function zoomEncryptedToken(secretToken: string, plainToken: string): string {
  return createHmac('sha256', secretToken).update(plainToken).digest('hex');
}

const zoomEvents = ['meeting.started', 'meeting.ended', 'meeting.participant_joined', 'meeting.participant_left', 'recording.completed'] as const;

describe('Zoom × the documented v0 HMAC and URL validation (raw node:crypto)', () => {
  const secretToken = 'crosscheck_zoom_secret_token';
  const t = 1_796_396_413;
  const receiverAt = (seconds: number, s = secretToken) => createReceiver(zoom, { secret: s, now: () => seconds * 1000, dedup: false });
  const headersFor = (timestamp: string, signature: string) => ({
    'content-type': 'application/json; charset=utf-8',
    'x-zm-request-timestamp': timestamp,
    'x-zm-signature': signature,
    'x-zm-trackingid': `v=2.0;clid=us06;rid=WEB_${timestamp}`,
  });

  it.each(zoomEvents)('accepts %s signed by the documented algorithm, with no delivery id', async (name) => {
    const body = read(`zoom/examples/payloads/${name}.json`);
    const result = await receiverAt(t + 10).verify({ method: 'POST', url: '/zoom', headers: headersFor(String(t), zoomSignature(secretToken, String(t), body)), body });
    expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
    if (!result.ok || result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
    expect(result.event).toMatchObject({ key: name, name, provider: 'zoom', scheme: 'v0' });
    expect(result.event.id).toBeUndefined();
    expect(result.event.payload).toEqual(JSON.parse(body.toString('utf8')));
  });

  it('refuses documented-algorithm signatures over a changed body, another timestamp or another secret token', async () => {
    const body = read('zoom/examples/payloads/meeting.started.json');
    const signature = zoomSignature(secretToken, String(t), body);
    const tampered = await receiverAt(t).verify({ method: 'POST', url: '/', headers: headersFor(String(t), signature), body: flipByte(body) });
    expect(tampered).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    const movedTimestamp = await receiverAt(t).verify({ method: 'POST', url: '/', headers: headersFor(String(t + 1), signature), body });
    expect(movedTimestamp).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    const otherToken = await receiverAt(t, 'not_this_secret_token').verify({ method: 'POST', url: '/', headers: headersFor(String(t), signature), body });
    expect(otherToken).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    // the HMAC of the body alone (without "v0:<ts>:") is not Zoom's signature
    const bodyOnly = `v0=${createHmac('sha256', secretToken).update(body).digest('hex')}`;
    const result = await receiverAt(t).verify({ method: 'POST', url: '/', headers: headersFor(String(t), bodyOnly), body });
    expect(result).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401 });
  });

  it('applies a 300 s window both ways around x-zm-request-timestamp', async () => {
    const body = read('zoom/examples/payloads/meeting.ended.json');
    const request = { method: 'POST', url: '/', headers: headersFor(String(t), zoomSignature(secretToken, String(t), body)), body };
    expect(await receiverAt(t + 300).verify(request)).toMatchObject({ ok: true, kind: 'event' });
    expect(await receiverAt(t - 300).verify(request)).toMatchObject({ ok: true, kind: 'event' });
    expect(await receiverAt(t + 301).verify(request)).toMatchObject({ ok: false, reason: 'timestamp_too_old', status: 401, authenticated: true });
    expect(await receiverAt(t - 301).verify(request)).toMatchObject({ ok: false, reason: 'timestamp_in_future', status: 401, authenticated: true });
  });

  it("signs what Zoom's sample receiver computes and accepts", async () => {
    const body = read('zoom/examples/payloads/recording.completed.json');
    const now = Date.now();
    const request = signRequest(zoom, { secret: secretToken, body, now, headers: { 'content-type': 'application/json' } });
    const timestamp = request.headers['x-zm-request-timestamp']!;
    expect(timestamp).toBe(String(Math.floor(now / 1000)));
    const signature = request.headers['x-zm-signature']!;
    expect(signature).toMatch(/^v0=[0-9a-f]{64}$/);
    // zoom/webhook-sample: message = `v0:${timestamp}:${body}`; `v0=${hmac hex}`; compared with ===
    expect(signature).toBe(zoomSignature(secretToken, timestamp, body));
    expect(signature === zoomSignature(secretToken, timestamp, flipByte(body))).toBe(false);
    expect(signature === zoomSignature('not_this_secret_token', timestamp, body)).toBe(false);
    const result = await createReceiver(zoom, { secret: secretToken, dedup: false }).verify(request);
    expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: 'recording.completed' } });
  });

  it('answers a documented-algorithm-signed endpoint.url_validation with the documented JSON', async () => {
    const body = read('zoom/examples/requests/endpoint.url_validation.json');
    const plainToken = (JSON.parse(body.toString('utf8')) as { payload: { plainToken: string } }).payload.plainToken;
    const receiver = receiverAt(t);
    const ran: string[] = [];
    receiver.onAny((event) => void ran.push(event.key));
    const request = { method: 'POST', url: '/', headers: headersFor(String(t), zoomSignature(secretToken, String(t), body)), body };
    const result = await receiver.verify(request);
    expect(result).toMatchObject({ ok: true, kind: 'handshake', handshake: 'url_validation', authenticated: true });
    const response = await receiver.handle(request);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({ plainToken, encryptedToken: zoomEncryptedToken(secretToken, plainToken) });
    expect(ran).toEqual([]);
  });

  it("gives the encryptedToken of an independent implementation's vector (Elastic Beats' http_endpoint test)", async () => {
    // elastic/beats, x-pack/filebeat/input/http_endpoint handler test "validate_CRC_request":
    // secret "secretValueTest", plainToken qgg8vlvZRS6UYooatFL8Aw (Zoom's documented example token).
    const vector = '70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff';
    expect(zoomEncryptedToken('secretValueTest', 'qgg8vlvZRS6UYooatFL8Aw')).toBe(vector);
    const body = '{"event_ts":1654503849680,"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}';
    const result = await receiverAt(t, 'secretValueTest').verify({ method: 'POST', url: '/', headers: headersFor(String(t), zoomSignature('secretValueTest', String(t), body)), body });
    if (!result.ok || result.kind !== 'handshake') throw new Error(`expected the handshake, got ${JSON.stringify(result)}`);
    expect(JSON.parse(result.response.body)).toEqual({ plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken: vector });
  });

  it('never answers a url_validation that is unsigned or signed with another secret token (no HMAC oracle)', async () => {
    const body = '{"event":"endpoint.url_validation","payload":{"plainToken":"v0:1796396413:{\\"event\\":\\"meeting.started\\"}"},"event_ts":1}';
    const unsigned = await receiverAt(t).handle({ method: 'POST', url: '/', headers: { 'content-type': 'application/json', 'x-zm-request-timestamp': String(t) }, body });
    expect(unsigned.status).toBe(400);
    expect(unsigned.body).not.toContain('encryptedToken');
    const forged = await receiverAt(t).handle({ method: 'POST', url: '/', headers: headersFor(String(t), zoomSignature('attacker_token', String(t), body)), body });
    expect(forged.status).toBe(401);
    expect(forged.body).not.toContain('encryptedToken');
  });
});
