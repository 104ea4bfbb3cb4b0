import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSender, DEFAULT_RETRY_SCHEDULE_MS, SubscriptionError, type Sender } from '../../runtime/index.js';
import { RetryPolicy, parseRetryAfter } from '../../runtime/send/retry-policy.js';
import { matchesEvent } from '../../runtime/store/event-filter.js';
import { manualClock } from './support/receiver.js';
import { makeStore, type StoreFixture } from './support/stores.js';

describe('subscriptions API', () => {
  let fx: StoreFixture;
  let sender: Sender;
  const clock = manualClock(1_800_000_000_000);
  beforeEach(async () => {
    fx = await makeStore('sqlite');
    sender = createSender({ store: fx.store, clock });
  });
  afterEach(async () => fx.cleanup());

  it('creates with defaults: every event, a generated whsec_ secret of 24 bytes', async () => {
    const sub = await sender.subscriptions.create({ url: 'https://example.com/hook' });
    expect(sub).toMatchObject({ events: ['*'], tenant: '', paused: false, disabled: false, headers: {}, metadata: {} });
    expect(Buffer.from(sub.secrets[0]!.secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
    expect(sub.id).toMatch(/^sub_/);
  });

  it('keeps a given secret, headers (lower-cased), metadata and tenant', async () => {
    const sub = await sender.subscriptions.create({
      url: 'http://example.com/', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', headers: { 'X-Key': 'v' }, metadata: { a: 1 }, tenant: 'acme',
    });
    expect(sub).toMatchObject({ secrets: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', expiresAt: null }], headers: { 'x-key': 'v' }, metadata: { a: 1 }, tenant: 'acme' });
    expect((await sender.subscriptions.list({ tenant: 'acme' })).map((s) => s.id)).toEqual([sub.id]);
    expect(await sender.subscriptions.list({ tenant: 'other' })).toEqual([]);
  });

  it.each([
    ['ftp://example.com/x', /http or https/], ['file:///etc/passwd', /http or https/], ['not a url', /not a URL/],
  ])('refuses the URL %s', async (url, message) => {
    await expect(sender.subscriptions.create({ url })).rejects.toThrow(message);
  });

  it('refuses bad filters, headers and secrets', async () => {
    await expect(sender.subscriptions.create({ url: 'https://e.com', events: [] })).rejects.toThrow(SubscriptionError);
    await expect(sender.subscriptions.create({ url: 'https://e.com', events: ['in*voice'] })).rejects.toThrow(/prefix/);
    await expect(sender.subscriptions.create({ url: 'https://e.com', headers: { 'bad header': 'x' } })).rejects.toThrow(/header/);
    await expect(sender.subscriptions.create({ url: 'https://e.com', secret: 'short' })).rejects.toThrow(/16/);
  });

  it('updates, pauses, resumes and deletes', async () => {
    const sub = await sender.subscriptions.create({ url: 'https://example.com/a' });
    expect(await sender.subscriptions.update(sub.id, { url: 'https://example.com/b', events: ['x.*'] })).toMatchObject({ url: 'https://example.com/b', events: ['x.*'] });
    await expect(sender.subscriptions.update(sub.id, { url: 'gopher://x' })).rejects.toThrow();
    expect((await sender.subscriptions.pause(sub.id)).paused).toBe(true);
    expect((await sender.subscriptions.resume(sub.id)).paused).toBe(false);
    expect(await sender.subscriptions.delete(sub.id)).toBe(true);
    await expect(sender.subscriptions.pause(sub.id)).rejects.toThrow(/no subscription/);
  });

  it('refuses event names unknown to the spec it was created from', async () => {
    const { standardWebhooks } = await import('../../generated/standard-webhooks/index.js');
    const typed = createSender({ store: fx.store, spec: standardWebhooks });
    if (standardWebhooks.spec.events.length > 0) await expect(typed.publish('no.such.event' as never, {} as never)).rejects.toThrow(/not an event/);
    await expect(sender.publish('bad type!', {})).rejects.toThrow(/event type/);
  });
});

describe('event filters', () => {
  it.each([
    [['*'], 'a.b', true], [['invoice.*'], 'invoice.paid', true], [['invoice.*'], 'invoice.paid.late', true],
    [['invoice.*'], 'invoices.paid', false], [['invoice.*'], 'invoice', false], [['user.created'], 'user.created', true],
    [['user.created'], 'user.deleted', false], [['a', 'b.*'], 'b.c', true],
  ] as const)('%j matches %s: %s', (filters, type, expected) => expect(matchesEvent(filters, type)).toBe(expected));
});

describe('retry policy', () => {
  it('defaults to Svix’s schedule and gives up after it', () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
    const policy = new RetryPolicy({ random: () => 0.5 });
    expect(DEFAULT_RETRY_SCHEDULE_MS.map((_, i) => policy.next(i + 1, 500, undefined, 0))).toEqual(DEFAULT_RETRY_SCHEDULE_MS.map((d) => ({ kind: 'retry', delayMs: d })));
    expect(policy.next(8, 500, undefined, 0)).toEqual({ kind: 'exhausted' });
  });
  it('jitters by ±20 %', () => {
    expect(new RetryPolicy({ random: () => 0 }).next(1, 500, undefined, 0)).toEqual({ kind: 'retry', delayMs: 4000 });
    expect(new RetryPolicy({ random: () => 1 }).next(1, 500, undefined, 0)).toEqual({ kind: 'retry', delayMs: 6000 });
  });
  it('honours Retry-After on 429/503 only, never earlier than the schedule, capped', () => {
    const policy = new RetryPolicy({ random: () => 0.5, maxRetryAfterMs: 600_000 });
    expect(policy.next(1, 429, '60', 0)).toEqual({ kind: 'retry', delayMs: 60_000 });
    expect(policy.next(1, 503, '1', 0)).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(policy.next(1, 503, '86400', 0)).toEqual({ kind: 'retry', delayMs: 600_000 });
    expect(policy.next(1, 500, '60', 0)).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(parseRetryAfter(new Date(90_000).toUTCString(), 30_000)).toBe(60_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});
