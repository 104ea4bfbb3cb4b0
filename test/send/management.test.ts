import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManagementHandler, createSender, type ManagementAccess, type Sender } from '../../runtime/index.js';
import { manualClock, startReceiver, type Receiver } from './support/receiver.js';
import { makeStore, STORE_KINDS, type StoreFixture } from './support/stores.js';

const T0 = 1_800_000_000_000;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Bearer tokens of the tests: an administrator, two tenants, and a known caller with no access. */
const TOKENS: Record<string, ManagementAccess> = { admin: {}, acme: { tenant: 'acme' }, globex: { tenant: 'globex' }, intern: 'forbidden' };

interface Answer {
  status: number;
  headers: Headers;
  body: any; // JSON of many shapes: the assertions check them
  text: string;
}

describe.each(STORE_KINDS)('management API on %s', (kind) => {
  let fx: StoreFixture;
  let sender: Sender;
  let endpoint: Receiver;
  let clock: ReturnType<typeof manualClock>;
  let errors: unknown[];
  let handler: (request: Request) => Promise<Response>;

  beforeEach(async () => {
    fx = await makeStore(kind);
    clock = manualClock(T0);
    endpoint = await startReceiver((req, res) => res.writeHead(req.url?.startsWith('/fail') ? 500 : 204).end());
    // No retries: a failing endpoint fails the delivery at once, so the tests can replay it.
    sender = createSender({ store: fx.store, clock, allowPrivateAddresses: ['127.0.0.1'], retrySchedule: [] });
    errors = [];
    handler = createManagementHandler(sender, {
      authorize: (request) => {
        const token = request.headers.get('authorization')?.replace(/^Bearer /, '');
        return (token ? TOKENS[token] : undefined) ?? false;
      },
      basePath: '/api',
      now: clock.now,
      maxBodyBytes: 4096,
      onError: (error) => void errors.push(error),
    });
  });
  afterEach(async () => {
    await endpoint.close();
    await fx.cleanup();
  });

  async function call(method: string, path: string, options: { as?: string; body?: unknown; raw?: BodyInit; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...(options.as ? { authorization: `Bearer ${options.as}` } : {}), ...options.headers };
    let body: BodyInit | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await handler(new Request(`http://localhost${path}`, { method, headers, body }));
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
  }
  const admin = (method: string, path: string, body?: unknown) => call(method, `/api${path}`, { as: 'admin', body });
  const as = (who: string, method: string, path: string, body?: unknown) => call(method, `/api${path}`, { as: who, body });

  async function subscribe(who: string, path = '/ok', extra: Record<string, unknown> = {}) {
    const created = await as(who, 'POST', '/subscriptions', { url: `${endpoint.url}${path}`, ...extra });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  }

  /** Publishes through the API and runs the worker once: deliveries end succeeded (/ok) or failed (/fail). */
  async function publishAndDeliver(who: string, type = 'invoice.paid') {
    const published = await as(who, 'POST', '/messages', { type, data: { n: 1 } });
    expect(published.status).toBe(202);
    const worker = sender.worker();
    await worker.tick();
    await worker.stop();
    return published.body as { id: string; deliveries: number };
  }

  describe('authorisation', () => {
    it('answers 401 without credentials and 403 for a caller without access, before routing', async () => {
      for (const path of ['/api/subscriptions', '/api/no/such/route']) {
        const anonymous = await call('GET', path);
        expect(anonymous.status).toBe(401);
        expect(anonymous.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      }
      const forbidden = await call('GET', '/api/subscriptions', { as: 'intern' });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.error.code).toBe('forbidden');
      expect((await call('GET', '/api/subscriptions', { as: 'wrong-token' })).status).toBe(401);
    });

    it('awaits an async authorize, and answers a throwing one with a 500 that tells nothing', async () => {
      const seen: string[] = [];
      const asyncHandler = createManagementHandler(sender, {
        authorize: async (request) => {
          seen.push(request.method);
          await new Promise((r) => setTimeout(r, 5));
          return { tenant: 'acme' };
        },
      });
      expect((await asyncHandler(new Request('http://localhost/subscriptions'))).status).toBe(200);
      expect(seen).toEqual(['GET']);
      const reported: unknown[] = [];
      const throwing = createManagementHandler(sender, {
        authorize: () => {
          throw new Error('identity provider down: token=abc');
        },
        onError: (e) => void reported.push(e),
      });
      const answer = await throwing(new Request('http://localhost/subscriptions'));
      expect(answer.status).toBe(500);
      const text = await answer.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'the request failed on the server' } });
      expect(text).not.toContain('token=abc');
      expect(reported).toHaveLength(1);
    });

    it('refuses to be created without an authorize callback', () => {
      expect(() => createManagementHandler(sender, {} as never)).toThrow(/authorize/);
    });
  });

  describe('subscriptions', () => {
    it('creates (201, Location, the secret once), reads, lists, updates and deletes', async () => {
      const created = await admin('POST', '/subscriptions', {
        url: `${endpoint.url}/ok`, events: ['invoice.*'], headers: { 'X-Api-Key': 'k-123' }, metadata: { team: 'billing' }, tenant: 'acme',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ tenant: 'acme', events: ['invoice.*'], metadata: { team: 'billing' }, paused: false, createdAt: new Date(T0).toISOString() });
      expect(created.body.secret).toMatch(/^whsec_/);
      const id = created.body.id as string;
      expect(created.headers.get('location')).toBe(`/api/subscriptions/${id}`);

      const read = await admin('GET', `/subscriptions/${id}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id, url: `${endpoint.url}/ok`, headers: { 'x-api-key': '[redacted]' } });
      expect(read.text).not.toContain(created.body.secret);
      expect(read.text).not.toContain('k-123');

      await admin('POST', '/subscriptions', { url: `${endpoint.url}/other` });
      expect((await admin('GET', '/subscriptions')).body.data).toHaveLength(2);
      expect((await admin('GET', '/subscriptions?tenant=acme')).body.data.map((s: { id: string }) => s.id)).toEqual([id]);

      const patched = await admin('PATCH', `/subscriptions/${id}`, { url: 'https://example.com/new', events: ['*'] });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ url: 'https://example.com/new', events: ['*'] });
      expect(patched.body.secret).toBeUndefined();

      const deleted = await admin('DELETE', `/subscriptions/${id}`);
      expect([deleted.status, deleted.text]).toEqual([204, '']);
      expect((await admin('GET', `/subscriptions/${id}`)).status).toBe(404);
      expect((await admin('DELETE', `/subscriptions/${id}`)).status).toBe(404);
    });

    it('pauses, resumes and re-enables', async () => {
      const { id } = await subscribe('admin');
      expect((await admin('POST', `/subscriptions/${id}/pause`)).body.paused).toBe(true);
      const published = await admin('POST', '/messages', { type: 'a.b', data: {} });
      expect(published.body.deliveries).toBe(0); // paused subscriptions get nothing
      expect((await admin('POST', `/subscriptions/${id}/resume`)).body.paused).toBe(false);
      await fx.store.updateSubscription(id, { disabled: true, disabledReason: 'gone' }, T0);
      const enabled = await admin('POST', `/subscriptions/${id}/enable`);
      expect(enabled.body).toMatchObject({ disabled: false, disabledReason: null });
    });

    it('rotates the secret with a grace period, answering the new secret once', async () => {
      const { id, secret } = await subscribe('admin');
      const rotated = await admin('POST', `/subscriptions/${id}/rotate-secret`, { graceMs: 3_600_000 });
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(secret);
      expect(rotated.body.previousSecretsExpireAt).toEqual([new Date(T0 + 3_600_000).toISOString()]);
      const given = await admin('POST', `/subscriptions/${id}/rotate-secret`, { secret: SECRET });
      expect(given.body.secret).toBe(SECRET);
      const stored = await fx.store.getSubscription(id);
      expect(stored!.secrets.map((s) => s.secret)).toContain(rotated.body.secret);
      const read = await admin('GET', `/subscriptions/${id}`);
      expect(read.text).not.toContain(SECRET);
      expect((await admin('POST', `/subscriptions/${id}/rotate-secret`, { secret: 'short' })).body.error.message).toMatch(/16 characters/);
      expect((await admin('POST', `/subscriptions/${id}/rotate-secret`, { graceMs: -1 })).body.error.field).toBe('graceMs');
    });

    it('creates an Ed25519 subscription: the public key is shown always, the private key only once', async () => {
      const created = await admin('POST', '/subscriptions', { url: 'https://example.com/hook', signature: 'ed25519' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ signature: 'ed25519', secret: expect.stringMatching(/^whsk_/), publicKey: expect.stringMatching(/^whpk_/) });
      const read = await admin('GET', `/subscriptions/${created.body.id}`);
      expect(read.body).toMatchObject({ signature: 'ed25519', publicKey: created.body.publicKey });
      expect(read.text).not.toContain(created.body.secret);
      const rotated = await admin('POST', `/subscriptions/${created.body.id}/rotate-secret`, {});
      expect(rotated.body.publicKey).not.toBe(created.body.publicKey);
      expect((await admin('POST', '/subscriptions', { url: 'https://example.com/hook', signature: 'rsa' })).body.error).toMatchObject({ field: 'signature' });
    });

    it('answers 400 naming the field for bad input, leaving the value checks to the subscription operations', async () => {
      const cases: Array<[unknown, string | undefined, RegExp]> = [
        [{}, 'url', /url: required/],
        [{ url: 42 }, 'url', /expected a string/],
        [{ url: 'ftp://example.com/x' }, undefined, /http or https/],
        [{ url: 'https://example.com', events: 'invoice.*' }, 'events', /array of strings/],
        [{ url: 'https://example.com', events: ['in*voice'] }, undefined, /prefix/],
        [{ url: 'https://example.com', headers: { a: 1 } }, 'headers', /string values/],
        [{ url: 'https://example.com', metadata: [] }, 'metadata', /JSON object/],
        [{ url: 'https://example.com', verifyEcho: 'yes' }, 'verifyEcho', /true or false/],
        [{ url: 'https://example.com', colour: 'red' }, 'colour', /unknown property/],
        [[1, 2], 'body', /JSON object/],
      ];
      for (const [body, field, message] of cases) {
        const answer = await admin('POST', '/subscriptions', body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error.code).toBe('invalid_request');
        expect(answer.body.error.field).toBe(field);
        expect(answer.body.error.message).toMatch(message);
      }
      const { id } = await subscribe('admin');
      expect((await admin('PATCH', `/subscriptions/${id}`, {})).body.error).toMatchObject({ field: 'body' });
      expect((await admin('PATCH', `/subscriptions/${id}`, { secret: SECRET })).body.error).toMatchObject({ field: 'secret' });
      expect((await admin('GET', '/subscriptions?tenat=acme')).body.error).toMatchObject({ field: 'tenat' });
    });
  });

  describe('messages', () => {
    it('publishes (202, the message id and the number of deliveries), and answers a known idempotency key with the first message', async () => {
      await subscribe('admin');
      await subscribe('admin', '/ok', { events: ['user.*'] });
      const first = await admin('POST', '/messages', { type: 'invoice.paid', data: { amount: 5 }, idempotencyKey: 'order-7' });
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({ id: expect.stringMatching(/^msg_/), eventType: 'invoice.paid', deliveries: 1, duplicate: false });
      expect(first.headers.get('location')).toBe(`/api/messages/${first.body.id}`);
      const again = await admin('POST', '/messages', { type: 'invoice.paid', data: { amount: 6 }, idempotencyKey: 'order-7' });
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ id: first.body.id, deliveries: 0, duplicate: true });
      const read = await admin('GET', `/messages/${first.body.id}`);
      expect(read.body).toMatchObject({ id: first.body.id, eventType: 'invoice.paid', idempotencyKey: 'order-7', tenant: '' });
      expect(JSON.parse(read.body.payload)).toMatchObject({ type: 'invoice.paid', data: { amount: 5 } });
      expect((await admin('GET', '/messages/msg_unknown')).status).toBe(404);
    });

    it('refuses a missing or malformed type, a missing data, and an empty idempotency key', async () => {
      expect((await admin('POST', '/messages', { data: {} })).body.error).toMatchObject({ code: 'invalid_request', field: 'type' });
      expect((await admin('POST', '/messages', { type: 'has space', data: {} })).body.error).toMatchObject({ field: 'type', message: expect.stringMatching(/letters, digits/) });
      expect((await admin('POST', '/messages', { type: 'a.b' })).body.error).toMatchObject({ field: 'data' });
      expect((await admin('POST', '/messages', { type: 'a.b', data: null, idempotencyKey: '' })).body.error).toMatchObject({ field: 'idempotencyKey' });
      expect((await admin('POST', '/messages', { type: 'a.b', data: null })).status).toBe(202);
    });
  });

  describe('deliveries and replay', () => {
    it('lists newest first in pages with an opaque cursor, filtered by subscription, message, status and time', async () => {
      const ok = await subscribe('admin', '/ok');
      const failing = await subscribe('admin', '/fail');
      const messages: string[] = [];
      for (let i = 0; i < 3; i++) {
        messages.push((await publishAndDeliver('admin', `e.n${i}`)).id);
        clock.advance(1000);
      }
      const all = await admin('GET', '/deliveries');
      expect(all.body.data).toHaveLength(6);
      expect(all.body.nextCursor).toBeNull();
      const created = all.body.data.map((d: { createdAt: string }) => d.createdAt);
      expect(created).toEqual([...created].sort().reverse());

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Answer = await admin('GET', `/deliveries?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((d: { id: string }) => d.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(2);
      expect(seen).toEqual(all.body.data.map((d: { id: string }) => d.id));

      const failed = await admin('GET', `/deliveries?status=failed&subscription=${failing.id}`);
      expect(failed.body.data).toHaveLength(3);
      expect(failed.body.data.every((d: { status: string; lastStatus: number }) => d.status === 'failed' && d.lastStatus === 500)).toBe(true);
      expect((await admin('GET', `/deliveries?subscription=${ok.id}&status=succeeded`)).body.data).toHaveLength(3);
      expect((await admin('GET', `/deliveries?message=${messages[1]}`)).body.data).toHaveLength(2);
      const window = await admin('GET', `/deliveries?since=${new Date(T0 + 1000).toISOString()}&until=${T0 + 2000}`);
      expect(window.body.data.map((d: { messageId: string }) => d.messageId)).toEqual([messages[1], messages[1]]);
    });

    it('refuses bad query parameters, naming them', async () => {
      const cases: Array<[string, string]> = [
        ['status=lost', 'status'], ['limit=0', 'limit'], ['limit=501', 'limit'], ['limit=ten', 'limit'],
        ['since=yesterday', 'since'], ['until=2026-13-45T00:00:00Z', 'until'], ['cursor=bm9wZQ', 'cursor'], ['subscriptionId=x', 'subscriptionId'],
        ['status=failed&status=pending', 'status'],
      ];
      for (const [query, field] of cases) {
        const answer = await admin('GET', `/deliveries?${query}`);
        expect(answer.status, query).toBe(400);
        expect(answer.body.error.field, query).toBe(field);
      }
    });

    it('reads a delivery and its attempts, and replays a finished one (409 while unfinished)', async () => {
      await subscribe('admin', '/fail');
      const { id: messageId } = await publishAndDeliver('admin');
      const [delivery] = (await admin('GET', `/deliveries?message=${messageId}`)).body.data;
      const read = await admin('GET', `/deliveries/${delivery.id}`);
      expect(read.body).toMatchObject({ id: delivery.id, messageId, status: 'failed', attempts: 1, lastStatus: 500, nextAttemptAt: null });
      const attempts = await admin('GET', `/deliveries/${delivery.id}/attempts`);
      expect(attempts.body.data).toEqual([expect.objectContaining({ n: 1, status: 500, errorClass: 'http', startedAt: new Date(T0).toISOString() })]);

      const replayed = await admin('POST', `/deliveries/${delivery.id}/replay`);
      expect([replayed.status, replayed.body]).toEqual([202, { replayed: 1 }]);
      expect((await admin('GET', `/deliveries/${delivery.id}`)).body).toMatchObject({ status: 'pending', attempts: 0 });
      const again = await admin('POST', `/deliveries/${delivery.id}/replay`);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/is pending/) });
      expect((await admin('GET', '/deliveries/dlv_unknown')).status).toBe(404);
      expect((await admin('GET', '/deliveries/dlv_unknown/attempts')).status).toBe(404);
      expect((await admin('POST', '/deliveries/dlv_unknown/replay')).status).toBe(404);
    });

    it('replays by ids (all or nothing) or every failure since a time', async () => {
      await subscribe('admin', '/fail');
      await publishAndDeliver('admin');
      clock.advance(60_000);
      await publishAndDeliver('admin');
      const failed = (await admin('GET', '/deliveries?status=failed')).body.data.map((d: { id: string }) => d.id);
      expect(failed).toHaveLength(2);

      const partial = await admin('POST', '/replay', { deliveryIds: [failed[0], 'dlv_unknown'] });
      expect(partial.status).toBe(404);
      expect(partial.body.error.message).toContain('dlv_unknown');
      expect((await admin('GET', '/deliveries?status=failed')).body.data).toHaveLength(2);

      expect((await admin('POST', '/replay', { failedSince: new Date(T0 + 30_000).toISOString() })).body).toEqual({ replayed: 1 });
      expect((await admin('POST', '/replay', { deliveryIds: failed })).body).toEqual({ replayed: 1 }); // the other is pending already
      expect((await admin('GET', '/deliveries?status=pending')).body.data).toHaveLength(2);
      expect((await admin('POST', '/replay', { failedSince: T0 })).body).toEqual({ replayed: 0 });

      for (const [body, field] of [[{}, 'body'], [{ deliveryIds: failed, failedSince: T0 }, 'body'], [{ deliveryIds: [] }, 'deliveryIds'], [{ failedSince: 'soon' }, 'failedSince']] as const) {
        const answer = await admin('POST', '/replay', body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error.field).toBe(field);
      }
    });
  });

  describe('tenant isolation', () => {
    it('confines a tenant-scoped caller to its tenant, answering 404 for every other tenant\'s id', async () => {
      const acmeSub = await subscribe('acme', '/fail');
      const globexSub = await subscribe('globex', '/ok');
      const { id: acmeMessage } = await publishAndDeliver('acme');
      const { id: globexMessage } = await publishAndDeliver('globex');
      expect((await as('acme', 'GET', `/subscriptions/${acmeSub.id}`)).body.tenant).toBe('acme');
      const [acmeDelivery] = (await as('acme', 'GET', '/deliveries')).body.data;
      expect(acmeDelivery.messageId).toBe(acmeMessage);

      const unknown = await as('globex', 'GET', '/subscriptions/sub_unknown');
      const probes: Array<[string, string, unknown?]> = [
        ['GET', `/subscriptions/${acmeSub.id}`],
        ['PATCH', `/subscriptions/${acmeSub.id}`, { url: 'https://evil.example/' }],
        ['DELETE', `/subscriptions/${acmeSub.id}`],
        ['POST', `/subscriptions/${acmeSub.id}/pause`],
        ['POST', `/subscriptions/${acmeSub.id}/resume`],
        ['POST', `/subscriptions/${acmeSub.id}/enable`],
        ['POST', `/subscriptions/${acmeSub.id}/rotate-secret`, {}],
        ['GET', `/messages/${acmeMessage}`],
        ['GET', `/deliveries/${acmeDelivery.id}`],
        ['GET', `/deliveries/${acmeDelivery.id}/attempts`],
        ['POST', `/deliveries/${acmeDelivery.id}/replay`],
        ['POST', '/replay', { deliveryIds: [acmeDelivery.id] }],
      ];
      for (const [method, path, body] of probes) {
        const answer = await as('globex', method, path, body);
        expect(answer.status, `${method} ${path}`).toBe(404);
        // Same shape as an id that does not exist: nothing tells that it is in use.
        expect(answer.body.error.code).toBe(unknown.body.error.code);
      }
      const acmeNow = await fx.store.getSubscription(acmeSub.id);
      expect(acmeNow).toMatchObject({ url: `${endpoint.url}/fail`, paused: false, secrets: [{ secret: acmeSub.secret }] });
      expect((await fx.store.getDelivery(acmeDelivery.id))!.status).toBe('failed');

      // Lists show only the caller's tenant, whatever it asks for.
      expect((await as('globex', 'GET', '/subscriptions')).body.data.map((s: { id: string }) => s.id)).toEqual([globexSub.id]);
      expect((await as('globex', 'GET', '/subscriptions?tenant=acme')).body.data).toEqual([]);
      expect((await as('globex', 'GET', '/deliveries')).body.data.map((d: { messageId: string }) => d.messageId)).toEqual([globexMessage]);
      expect((await as('globex', 'GET', '/deliveries?tenant=acme')).body.data).toEqual([]);
      expect((await as('globex', 'GET', `/deliveries?subscription=${acmeSub.id}`)).body.data).toEqual([]);

      // Nothing is created or published into another tenant.
      expect((await as('globex', 'POST', '/subscriptions', { url: 'https://example.com/', tenant: 'acme' })).status).toBe(403);
      expect((await as('globex', 'POST', '/messages', { type: 'a.b', data: {}, tenant: 'acme' })).status).toBe(403);
      const own = await as('globex', 'POST', '/messages', { type: 'invoice.paid', data: {} });
      expect(own.body.deliveries).toBe(1);
      expect((await fx.store.getMessage(own.body.id))!.tenant).toBe('globex');

      // A tenant's failedSince replay leaves other tenants' failures alone; the administrator's reaches all.
      expect((await as('globex', 'POST', '/replay', { failedSince: T0 })).body).toEqual({ replayed: 0 });
      expect((await fx.store.getDelivery(acmeDelivery.id))!.status).toBe('failed');
      expect((await as('acme', 'POST', '/replay', { failedSince: T0 })).body).toEqual({ replayed: 1 });
      expect((await admin('GET', '/subscriptions')).body.data).toHaveLength(2);
      expect((await admin('GET', '/deliveries?tenant=acme')).body.data).toHaveLength(1);
    });

    it('keeps an idempotency key per tenant', async () => {
      await subscribe('acme');
      await subscribe('globex');
      const a = await as('acme', 'POST', '/messages', { type: 'a.b', data: {}, idempotencyKey: 'k' });
      const g = await as('globex', 'POST', '/messages', { type: 'a.b', data: {}, idempotencyKey: 'k' });
      expect(g.body).toMatchObject({ duplicate: false, deliveries: 1 });
      expect(g.body.id).not.toBe(a.body.id);
    });
  });

  describe('HTTP errors', () => {
    it('answers 404 for unknown routes and paths outside basePath, 405 with Allow for a wrong method', async () => {
      expect((await admin('GET', '/nothing')).status).toBe(404);
      expect((await admin('GET', '/subscriptions/x/y/z')).status).toBe(404);
      expect((await call('GET', '/subscriptions', { as: 'admin' })).status).toBe(404); // outside /api
      const wrong = await admin('PUT', '/subscriptions');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET, POST');
      expect(wrong.body.error.code).toBe('method_not_allowed');
      expect((await admin('DELETE', '/deliveries/dlv_x')).headers.get('allow')).toBe('GET');
    });

    it('answers 415 for a body that is not JSON, 400 for malformed JSON, 413 over the size limit', async () => {
      const form = await call('POST', '/api/subscriptions', { as: 'admin', raw: 'url=https://example.com', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect([form.status, form.body.error.code]).toEqual([415, 'unsupported_media_type']);
      const untyped = await call('POST', '/api/subscriptions', { as: 'admin', raw: '{"url":"https://example.com"}' });
      expect(untyped.status).toBe(415);
      const broken = await call('POST', '/api/subscriptions', { as: 'admin', raw: '{"url":', headers: { 'content-type': 'application/json' } });
      expect([broken.status, broken.body.error.code]).toEqual([400, 'invalid_json']);
      const big = { url: 'https://example.com', metadata: { blob: 'x'.repeat(5000) } };
      expect((await admin('POST', '/subscriptions', big)).status).toBe(413);
      // Streamed, with no Content-Length to refuse it up front: refused while reading.
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000)));
          c.close();
        },
      });
      const streamed = await handler(new Request('http://localhost/api/messages', {
        method: 'POST', headers: { authorization: 'Bearer admin', 'content-type': 'application/json' }, body: stream, duplex: 'half',
      } as RequestInit));
      expect(streamed.status).toBe(413);
      const vendorJson = await call('POST', '/api/messages', { as: 'admin', raw: '{"type":"a.b","data":1}', headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' } });
      expect(vendorJson.status).toBe(202);
      expect(await fx.store.listSubscriptions()).toEqual([]);
    });

    it('answers a store failure with a 500 that leaks nothing, and reports it', async () => {
      await fx.store.close();
      const answer = await admin('GET', '/subscriptions');
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ error: { code: 'internal', message: 'the request failed on the server' } });
      expect(errors).toHaveLength(1);
    });
  });
});

describe('management API mounted in a node server (@hono/node-server)', () => {
  it('serves the same handler over real HTTP', async () => {
    const fx = await makeStore('sqlite');
    const sender = createSender({ store: fx.store });
    const handler = createManagementHandler(sender, { authorize: (r) => (r.headers.get('authorization') === 'Bearer t' ? {} : false) });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const created = await fetch(`${base}/subscriptions`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://example.com/hook' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const patched = await fetch(`${base}/subscriptions/${id}`, { method: 'PATCH', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: JSON.stringify({ events: ['a.*'] }) });
      expect(((await patched.json()) as { events: string[] }).events).toEqual(['a.*']);
      expect((await fetch(`${base}/subscriptions`)).status).toBe(401);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fx.cleanup();
    }
  });
});
