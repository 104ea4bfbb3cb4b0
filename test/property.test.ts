import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  REASONS,
  createReceiver,
  signRequest,
  type HeaderBag,
  type Provider,
  type Reason,
  type ReceiverOptions,
  type SignOptions,
  type WebhookRequest,
} from '../runtime/index.js';
import { github } from '../generated/github/index.js';
import { stripe } from '../generated/stripe/index.js';
import { slack } from '../generated/slack/index.js';
import { standardWebhooks } from '../generated/standard-webhooks/index.js';

/**
 * Properties of the verifier for each built-in provider, checked with fast-check:
 *   (a) whatever the body, what signRequest signs passes the signature stage;
 *   (b) one changed body byte, or one changed character of the signature, is not authenticated;
 *   (c) a timestamp outside the tolerance is refused for being too old (or too far in the future);
 *   (d) verify never throws, whatever the headers and body, and every rejection is a documented reason.
 */

const PROTOTYPE_KEYS_BEFORE = Reflect.ownKeys(Object.prototype);

const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
const T = 1_764_388_800_000; // the fixed clock the receivers read (ms), 2025-11-29T04:00:00Z

type Result = Awaited<ReturnType<ReturnType<typeof createReceiver>['verify']>>;
type Signed = Omit<WebhookRequest, 'headers'> & { headers: Record<string, string> };

interface EventSample {
  body: string;
  options: Partial<SignOptions>;
  key: string;
  id: string;
}

interface Case {
  label: string;
  provider: Provider<object, unknown>;
  /** Credentials given to signRequest (and the scheme to sign with). */
  sign: Pick<SignOptions, 'secret' | 'credentials' | 'scheme' | 'headers'>;
  /** Credentials given to createReceiver. */
  receive: Pick<ReceiverOptions, 'secret' | 'credentials'>;
  scheme: string;
  signatureHeader: string;
  encoding: 'hex' | 'base64';
  /** Where the signature entry (`sha256=…`, `v1=…`, `v1,…`) starts in the header value. */
  entryAt(value: string): number;
  /** Length of the entry's label (`sha256=`, `v1=`, `v1,`): the digest follows it. */
  labelLength: number;
  /** Other signed headers (timestamp, id) a change to which must break the signature. */
  signedHeaders: string[];
  timestamp?: { tolerance: number; future: number | null };
  event: fc.Arbitrary<EventSample>;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const name = fc.stringMatching(/^[a-z][a-z_]{0,15}$/);
const dotted = fc.array(name, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const token = fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/);
const extra = fc.jsonValue({ maxDepth: 2 });

/** Strings of any UTF-16 code units, lone surrogates included. */
const anyUtf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 64 });
const unicodeBody = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 64 }), anyUtf16);
const bytesBody = fc.uint8Array({ maxLength: 300 });

const ed25519 = generateKeyPairSync('ed25519');
const ed25519Seed = `whsk_${ed25519.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32).toString('base64')}`;
const ed25519Public = `whpk_${ed25519.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64')}`;

const SW_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const standardEvent = (idHeaders: (id: string) => Partial<SignOptions>) =>
  fc.record({ type: dotted, id: token, data: extra }).map(({ type, id, data }) => ({
    body: JSON.stringify({ type, data }),
    options: idHeaders(`msg_${id}`),
    key: type,
    id: `msg_${id}`,
  }));

const CASES: Case[] = [
  {
    label: 'github',
    provider: github,
    sign: { secret: 'property-github-secret' },
    receive: { secret: 'property-github-secret' },
    scheme: 'sha256',
    signatureHeader: 'x-hub-signature-256',
    encoding: 'hex',
    entryAt: () => 0,
    labelLength: 'sha256='.length,
    signedHeaders: [],
    event: fc.record({ event: name, action: fc.option(name, { nil: undefined }), delivery: fc.uuid(), data: extra }).map(({ event, action, delivery, data }) => ({
      body: JSON.stringify({ action, data }),
      options: { event, id: delivery },
      key: action ? `${event}.${action}` : event,
      id: delivery,
    })),
  },
  {
    label: 'stripe',
    provider: stripe,
    sign: { secret: 'whsec_property_stripe_secret' },
    receive: { secret: 'whsec_property_stripe_secret' },
    scheme: 'v1',
    signatureHeader: 'stripe-signature',
    encoding: 'hex',
    entryAt: (value) => value.indexOf(',v1=') + 1,
    labelLength: 'v1='.length,
    signedHeaders: [],
    timestamp: { tolerance: 300, future: null },
    event: fc.record({ type: dotted, id: token, data: extra }).map(({ type, id, data }) => ({
      body: JSON.stringify({ id: `evt_${id}`, object: 'event', type, data: { object: data } }),
      options: {},
      key: type,
      id: `evt_${id}`,
    })),
  },
  {
    label: 'slack',
    provider: slack,
    sign: { secret: 'property-slack-signing-secret' },
    receive: { secret: 'property-slack-signing-secret' },
    scheme: 'v0',
    signatureHeader: 'x-slack-signature',
    encoding: 'hex',
    entryAt: () => 0,
    labelLength: 'v0='.length,
    signedHeaders: ['x-slack-request-timestamp'],
    timestamp: { tolerance: 300, future: 300 },
    event: fc.record({ type: name, id: token, data: extra }).map(({ type, id, data }) => ({
      body: JSON.stringify({ type: 'event_callback', event_id: `Ev${id}`, event: { type, data } }),
      options: {},
      key: type,
      id: `Ev${id}`,
    })),
  },
  {
    label: 'standard-webhooks (v1, webhook-*)',
    provider: standardWebhooks,
    sign: { secret: SW_SECRET },
    receive: { secret: SW_SECRET },
    scheme: 'v1',
    signatureHeader: 'webhook-signature',
    encoding: 'base64',
    entryAt: (value) => value.indexOf('v1,'),
    labelLength: 'v1,'.length,
    signedHeaders: ['webhook-id', 'webhook-timestamp'],
    timestamp: { tolerance: 300, future: 300 },
    event: standardEvent((id) => ({ id })),
  },
  {
    label: 'standard-webhooks (svix-v1, svix-*)',
    provider: standardWebhooks,
    sign: { secret: SW_SECRET, scheme: 'svix-v1' },
    receive: { secret: SW_SECRET },
    scheme: 'svix-v1',
    signatureHeader: 'svix-signature',
    encoding: 'base64',
    entryAt: (value) => value.indexOf('v1,'),
    labelLength: 'v1,'.length,
    signedHeaders: ['svix-id', 'svix-timestamp'],
    timestamp: { tolerance: 300, future: 300 },
    // signRequest writes the id into svix-id, the id header this scheme signs
    event: standardEvent((id) => ({ id })),
  },
  {
    label: 'standard-webhooks (v1a, Ed25519)',
    provider: standardWebhooks,
    sign: { credentials: { publicKey: ed25519Seed }, scheme: 'v1a' },
    receive: { credentials: { publicKey: ed25519Public } },
    scheme: 'v1a',
    signatureHeader: 'webhook-signature',
    encoding: 'base64',
    entryAt: (value) => value.indexOf('v1a,'),
    labelLength: 'v1a,'.length,
    signedHeaders: ['webhook-id', 'webhook-timestamp'],
    timestamp: { tolerance: 300, future: 300 },
    event: standardEvent((id) => ({ id })),
  },
];

// ---------------------------------------------------------------------------------------------
// Helpers

function receiverFor(c: Case, nowMs = T) {
  return createReceiver(c.provider, { ...c.receive, now: () => nowMs, dedup: false });
}

function signFor(c: Case, body: string | Uint8Array, extraOptions: Partial<SignOptions> = {}, nowMs = T): Signed {
  return signRequest(c.provider, { ...c.sign, ...extraOptions, headers: { ...c.sign.headers, ...extraOptions.headers }, body, now: nowMs });
}

function withHeader(request: Signed, header: string, value: string): Signed {
  return { ...request, headers: { ...request.headers, [header]: value } };
}

const bytesOf = (body: string | Uint8Array): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body));

const describeResult = (r: Result) => (r.ok ? `ok (${r.kind})` : `${r.reason} (authenticated ${r.authenticated}): ${r.message}`);

/** Accepted at the signature stage: an event or handshake, or a refusal of an authenticated request. */
function expectAuthenticated(r: Result): void {
  if (r.ok) return;
  expect(r.authenticated, describeResult(r)).toBe(true);
  expect(['invalid_body', 'missing_event_name', 'unsupported_content_type'], describeResult(r)).toContain(r.reason);
}

function expectNotAuthenticated(r: Result, reasons: readonly Reason[]): void {
  expect(r.ok, describeResult(r)).toBe(false);
  if (r.ok) return;
  expect(r.authenticated, describeResult(r)).toBe(false);
  expect(reasons, describeResult(r)).toContain(r.reason);
  expect(r.status).toBe(REASONS[r.reason]);
}

/** A documented outcome: an event or handshake, or a rejection whose reason and status are in REASONS. */
function expectWellFormed(r: Result, seen: Set<string>): void {
  if (r.ok) {
    seen.add(`ok:${r.kind}`);
    expect(['event', 'handshake']).toContain(r.kind);
    expect(typeof r.response.status).toBe('number');
    if (r.kind === 'event') {
      expect(typeof r.event.key).toBe('string');
      expect(r.event.key.length).toBeGreaterThan(0);
    }
    return;
  }
  seen.add(r.reason);
  expect(Object.hasOwn(REASONS, r.reason), `undocumented reason ${String(r.reason)}`).toBe(true);
  expect(r.status).toBe(REASONS[r.reason]);
  expect(typeof r.message).toBe('string');
  expect(r.message.length).toBeGreaterThan(0);
  expect(typeof r.authenticated).toBe('boolean');
}

/** Decodes the digest, flips one bit, and encodes it back canonically. */
function flipDigestBit(digest: string, encoding: 'hex' | 'base64', bit: number): string {
  const bytes = Buffer.from(digest, encoding);
  const at = bit % (bytes.length * 8);
  bytes[at >> 3] = bytes[at >> 3]! ^ (1 << (at & 7));
  return bytes.toString(encoding);
}

/** Every character a one-character substitution is tried with: printable ASCII, whitespace, a few others. */
const SUBSTITUTES = [
  ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
  '\t', '\r', '\n', '\0', '\u00a0', '\ufeff', '\u2028', 'é', '\u{1f600}', '\ud800',
];

// ---------------------------------------------------------------------------------------------

describe.each(CASES.map((c) => [c.label, c] as const))('%s', (_label, c) => {
  const receiver = receiverFor(c);

  describe('(a) what signRequest signs passes the signature stage', () => {
    it('for any unicode string body', async () => {
      await fc.assert(
        fc.asyncProperty(unicodeBody, async (body) => {
          const result = await receiver.verify(signFor(c, body));
          expectAuthenticated(result);
          if (result.ok && result.kind === 'event') expect(result.event.scheme).toBe(c.scheme);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('for any byte body (Uint8Array)', async () => {
      await fc.assert(
        fc.asyncProperty(bytesBody, async (body) => {
          expectAuthenticated(await receiver.verify(signFor(c, body)));
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('and a JSON event body becomes that event, with its key and delivery id', async () => {
      await fc.assert(
        fc.asyncProperty(c.event, fc.boolean(), async (sample, asBytes) => {
          const body = asBytes ? Buffer.from(sample.body, 'utf8') : sample.body;
          const result = await receiver.verify(signFor(c, body, sample.options));
          expect(result.ok, result.ok ? '' : describeResult(result)).toBe(true);
          if (!result.ok || result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
          expect(result.event.key).toBe(sample.key);
          expect(result.event.id).toBe(sample.id);
          expect(result.event.provider).toBe(c.provider.id);
          expect(result.event.scheme).toBe(c.scheme);
        }),
        { numRuns: NUM_RUNS },
      );
    });
  });

  describe('(b) one change is not authenticated', () => {
    const anyBody = fc.oneof(
      c.event.map((s) => ({ body: s.body as string | Uint8Array, options: s.options })),
      unicodeBody.filter((s) => s.length > 0).map((body) => ({ body: body as string | Uint8Array, options: {} })),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((body) => ({ body: body as string | Uint8Array, options: {} })),
    );

    it('any one byte of the body flipped', async () => {
      await fc.assert(
        fc.asyncProperty(anyBody, fc.nat(), fc.integer({ min: 1, max: 255 }), async ({ body, options }, at, mask) => {
          const request = signFor(c, body, options);
          const bytes = bytesOf(body);
          const i = at % bytes.length;
          bytes[i] = bytes[i]! ^ mask;
          expectNotAuthenticated(await receiver.verify({ ...request, body: bytes }), ['signature_mismatch']);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('any one bit of the signature digest flipped (re-encoded canonically)', async () => {
      await fc.assert(
        fc.asyncProperty(anyBody, fc.nat(), async ({ body, options }, bit) => {
          const request = signFor(c, body, options);
          const value = request.headers[c.signatureHeader]!;
          const start = c.entryAt(value) + c.labelLength;
          const digest = value.slice(start);
          const forged = value.slice(0, start) + flipDigestBit(digest, c.encoding, bit);
          expect(forged).not.toBe(value);
          expectNotAuthenticated(await receiver.verify(withHeader(request, c.signatureHeader, forged)), ['signature_mismatch']);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('every one-character substitution of the signature header value (exhaustive)', async () => {
      const sample = fc.sample(c.event, { numRuns: 1, seed: 42 })[0]!;
      const request = signFor(c, sample.body, sample.options);
      const value = request.headers[c.signatureHeader]!;
      expect(await receiver.verify(request)).toMatchObject({ ok: true, kind: 'event', event: { key: sample.key } });
      const accepted: string[] = [];
      const otherReasons: string[] = [];
      let tried = 0;
      for (let i = 0; i < value.length; i++) {
        // outside the signature entry (Stripe's `t=`), a change may also break the timestamp
        const allowed: Reason[] = i < c.entryAt(value)
          ? ['signature_mismatch', 'malformed_signature', 'missing_timestamp', 'malformed_timestamp']
          : ['signature_mismatch', 'malformed_signature'];
        for (const char of SUBSTITUTES) {
          if (char === value[i]) continue;
          const changed = value.slice(0, i) + char + value.slice(i + 1);
          const result = await receiver.verify(withHeader(request, c.signatureHeader, changed));
          tried++;
          const what = `[${i}] ${JSON.stringify(value[i])} -> ${JSON.stringify(char)}: ${JSON.stringify(changed)}`;
          if (result.ok || result.authenticated) accepted.push(what);
          else if (!allowed.includes(result.reason) || result.status !== REASONS[result.reason]) otherReasons.push(`${what} gave ${result.reason}`);
        }
      }
      expect(tried).toBeGreaterThan(value.length * 90);
      expect(otherReasons).toEqual([]);
      expect(accepted, `signed value ${JSON.stringify(value)}: ${accepted.length} of ${tried} one-character changes still authenticated`).toEqual([]);
    });

    if (c.signedHeaders.length > 0) {
      it(`any one character of ${c.signedHeaders.join(' / ')} replaced`, async () => {
        await fc.assert(
          fc.asyncProperty(c.event, fc.constantFrom(...c.signedHeaders), fc.nat(), fc.constantFrom(...SUBSTITUTES), async (sample, header, at, char) => {
            const request = signFor(c, sample.body, sample.options);
            const value = request.headers[header]!;
            const i = at % value.length;
            fc.pre(char !== value[i]);
            const changed = value.slice(0, i) + char + value.slice(i + 1);
            expectNotAuthenticated(await receiver.verify(withHeader(request, header, changed)), ['signature_mismatch', 'malformed_timestamp']);
          }),
          { numRuns: NUM_RUNS },
        );
      });
    }
  });

  describe('(c) the timestamp', () => {
    const rule = c.timestamp;
    if (!rule) {
      it('has no timestamp: a signed request is accepted under any clock', async () => {
        await fc.assert(
          fc.asyncProperty(c.event, fc.integer({ min: -10 * 365 * 86_400_000, max: 10 * 365 * 86_400_000 }), async (sample, shift) => {
            const result = await receiverFor(c, T + shift).verify(signFor(c, sample.body, sample.options));
            expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: sample.key } });
          }),
          { numRuns: NUM_RUNS },
        );
      });
      return;
    }

    const signedAt = fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: 999 })));

    it(`is refused as too old more than ${rule.tolerance} s after signing`, async () => {
      await fc.assert(
        fc.asyncProperty(c.event, signedAt, fc.integer({ min: 1, max: 1_000_000_000 }), async (sample, [seconds, ms], lateMs) => {
          const request = signFor(c, sample.body, sample.options, seconds * 1000 + ms);
          const result = await receiverFor(c, seconds * 1000 + rule.tolerance * 1000 + lateMs).verify(request);
          expect(result).toMatchObject({ ok: false, reason: 'timestamp_too_old', status: 401, authenticated: true });
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it(`is accepted within ${rule.tolerance} s after signing${rule.future === null ? '' : ` and ${rule.future} s before`}`, async () => {
      const lowest = rule.future === null ? -1_000_000_000 : -rule.future * 1000;
      await fc.assert(
        fc.asyncProperty(c.event, signedAt, fc.integer({ min: lowest, max: rule.tolerance * 1000 }), async (sample, [seconds, ms], shiftMs) => {
          const request = signFor(c, sample.body, sample.options, seconds * 1000 + ms);
          const result = await receiverFor(c, seconds * 1000 + shiftMs).verify(request);
          expect(result.ok, result.ok ? '' : describeResult(result)).toBe(true);
          expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: sample.key, id: sample.id } });
        }),
        { numRuns: NUM_RUNS },
      );
    });

    if (rule.future !== null) {
      const future = rule.future;
      it(`is refused as in the future more than ${future} s before signing`, async () => {
        await fc.assert(
          fc.asyncProperty(c.event, signedAt, fc.integer({ min: 1, max: 1_000_000_000 }), async (sample, [seconds, ms], earlyMs) => {
            const request = signFor(c, sample.body, sample.options, seconds * 1000 + ms);
            const result = await receiverFor(c, seconds * 1000 - future * 1000 - earlyMs).verify(request);
            expect(result).toMatchObject({ ok: false, reason: 'timestamp_in_future', status: 401, authenticated: true });
          }),
          { numRuns: NUM_RUNS },
        );
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (d) verify never throws, and every rejection is documented

/** Every header name a built-in spec reads, plus a few near misses. */
const KNOWN_HEADERS = [
  'content-type', 'x-hub-signature-256', 'x-hub-signature', 'x-github-event', 'x-github-delivery',
  'stripe-signature', 'x-slack-signature', 'x-slack-request-timestamp',
  'webhook-id', 'webhook-timestamp', 'webhook-signature', 'svix-id', 'svix-timestamp', 'svix-signature',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'get', 'has',
];

const mixedCase = (arb: fc.Arbitrary<string>) =>
  fc.tuple(arb, fc.array(fc.boolean(), { maxLength: 40 })).map(([text, flags]) => [...text].map((ch, i) => (flags[i] ? ch.toUpperCase() : ch)).join(''));

/** Header names: mostly those the provider reads (in any case), else any known or random name. */
const headerNameFor = (c?: Case) =>
  fc.oneof(
    { weight: c ? 4 : 0, arbitrary: mixedCase(fc.constantFrom('content-type', c?.signatureHeader ?? 'content-type', ...(c?.signedHeaders ?? []), ...(c?.provider === github ? ['x-github-event', 'x-github-delivery'] : []))) },
    { weight: 2, arbitrary: mixedCase(fc.constantFrom(...KNOWN_HEADERS)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  );
const headerName = headerNameFor();

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));
const b64 = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('base64'));
const seconds = fc.integer({ min: T / 1000 - 1000, max: T / 1000 + 1000 }).map(String);
const crlfText = fc.string({ unit: fc.constantFrom('\r', '\n', ' ', '\t', ',', '=', ';', 'v', '1', '0', 't', 'a', 'f', '\0'), maxLength: 30 });

const headerText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  crlfText,
  seconds,
  fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', 'multipart/form-data', ''),
  hex(32).map((h) => `sha256=${h}`),
  fc.tuple(seconds, hex(32), hex(32)).map(([t, a, b]) => `t=${t},v1=${a},v0=${b}`),
  hex(32).map((h) => `v0=${h}`),
  fc.tuple(b64(32), b64(64)).map(([a, b]) => `v1,${a} v1a,${b}`),
  crlfText.chain((junk) => hex(32).map((h) => `sha256=${h}${junk}`)),
);

const headerValue: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 4, arbitrary: headerText },
  { weight: 1, arbitrary: fc.array(headerText, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

type Entries = [string, string | string[] | undefined][];

function toBag(entries: Entries, kind: 'plain' | 'null-prototype' | 'headers'): HeaderBag {
  if (kind === 'headers') {
    const headers = new Headers();
    for (const [key, value] of entries) {
      for (const v of value === undefined ? [] : typeof value === 'string' ? [value] : value) {
        try {
          headers.append(key, v);
        } catch {
          // not a valid HTTP header: a Headers object can never hold it
        }
      }
    }
    return headers;
  }
  const bag: Record<string, string | string[] | undefined> = kind === 'plain' ? {} : Object.create(null);
  for (const [key, value] of entries) Object.defineProperty(bag, key, { value, enumerable: true, writable: true, configurable: true });
  return bag;
}

const anyBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ maxLength: 100 }),
  unicodeBody,
  bytesBody,
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
  fc.constantFrom(
    '{"__proto__":{"polluted":"yes"},"type":"x","constructor":{"prototype":{"polluted":"yes"}}}',
    '{"type":"url_verification","challenge":"abc"}',
    '{"type":"url_verification"}',
    '{"type":"event_callback","event":{"type":"__proto__"}}',
    'payload=%7B%22__proto__%22%3A%7B%22polluted%22%3A1%7D%7D&__proto__=1&command=%2Fx',
    '{"type":{"nested":true},"id":[1,2],"action":null}',
  ),
);

const method = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('POST', 'post', 'Post', undefined) },
  { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'HEAD', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

/** A request made of arbitrary parts, its header names drawn mostly from those `c` reads. */
const randomRequest = (c?: Case): fc.Arbitrary<WebhookRequest> => fc
  .record({
    entries: fc.array(fc.tuple(headerNameFor(c), headerValue), { maxLength: 12 }),
    kind: fc.constantFrom('plain', 'null-prototype', 'headers') as fc.Arbitrary<'plain' | 'null-prototype' | 'headers'>,
    body: anyBody,
    method,
    url: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
  })
  .map(({ entries, kind, body, method, url }) => ({ method, url, headers: toBag(entries as Entries, kind), body }));

/** A genuinely signed request, then mangled: renamed keys, arrays of values, CR/LF, extra headers. */
const mangledSignedRequest = (c: Case): fc.Arbitrary<WebhookRequest> =>
  fc
    .record({
      body: anyBody,
      event: c.event,
      useEventBody: fc.boolean(),
      ops: fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('upper' as const), at: fc.nat() }),
          fc.record({ op: fc.constant('array' as const), at: fc.nat(), times: fc.integer({ min: 0, max: 3 }) }),
          fc.record({ op: fc.constant('crlf' as const), at: fc.nat(), where: fc.nat(), text: fc.constantFrom('\r\n', '\n', '\r', '\r\nX-Injected: 1') }),
          fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
          fc.record({ op: fc.constant('add' as const), name: headerName, value: headerValue }),
        ),
        { maxLength: 4 },
      ),
      kind: fc.constantFrom('plain', 'null-prototype', 'headers') as fc.Arbitrary<'plain' | 'null-prototype' | 'headers'>,
    })
    .map(({ body, event, useEventBody, ops, kind }) => {
      const signed = signFor(c, useEventBody ? event.body : body, useEventBody ? event.options : {});
      const entries: Entries = Object.entries(signed.headers);
      for (const op of ops) {
        if (op.op === 'add') {
          entries.push([op.name, op.value]);
          continue;
        }
        if (entries.length === 0) continue;
        const i = op.at % entries.length;
        const [key, value] = entries[i]!;
        const text = typeof value === 'string' ? value : (value?.[0] ?? '');
        if (op.op === 'upper') entries[i] = [key.toUpperCase(), value];
        else if (op.op === 'array') entries[i] = [key, Array.from({ length: op.times }, () => text)];
        else if (op.op === 'crlf') {
          const w = op.where % (text.length + 1);
          entries[i] = [key, text.slice(0, w) + op.text + text.slice(w)];
        } else entries.splice(i, 1);
      }
      return { method: signed.method, url: signed.url, headers: toBag(entries, kind), body: signed.body };
    });

describe('(d) verify never throws and every rejection is documented', () => {
  it.each(CASES.map((c) => [c.label, c] as const))('%s: arbitrary header bags and bodies', async (_label, c) => {
    const receiver = receiverFor(c);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(randomRequest(c), async (request) => {
        expectWellFormed(await receiver.verify(request), seen);
      }),
      { numRuns: NUM_RUNS },
    );
    // not vacuous: the requests reached several different refusals
    expect(seen.size, [...seen].join(', ')).toBeGreaterThanOrEqual(3);
  });

  it.each(CASES.map((c) => [c.label, c] as const))('%s: signed requests with mangled headers', async (_label, c) => {
    const receiver = receiverFor(c);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mangledSignedRequest(c), async (request) => {
        expectWellFormed(await receiver.verify(request), seen);
      }),
      { numRuns: NUM_RUNS },
    );
    // not vacuous: some survived as events, others were refused in several ways
    expect(seen.has('ok:event'), [...seen].join(', ')).toBe(true);
    expect(seen.size, [...seen].join(', ')).toBeGreaterThanOrEqual(3);
  });

  it('handle() never throws either, and answers with a status', async () => {
    const receivers = CASES.map((c) => receiverFor(c));
    await fc.assert(
      fc.asyncProperty(fc.nat(), randomRequest(), async (which, request) => {
        const response = await receivers[which % receivers.length]!.handle(request);
        expect(Number.isInteger(response.status)).toBe(true);
        expect(typeof response.body).toBe('string');
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('Object.prototype', () => {
  it('has no new own keys after all of the above', () => {
    expect(Reflect.ownKeys(Object.prototype)).toEqual(PROTOTYPE_KEYS_BEFORE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
