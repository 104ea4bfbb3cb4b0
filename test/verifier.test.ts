import { describe, expect, it } from 'vitest';
import { createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { createReceiver, CredentialError, signRequest, defineProvider, type RuntimeSpec, type SignatureScheme } from '../runtime/index.js';
import { github } from '../generated/github/index.js';

/** A small provider spec built in the test, to pin one rule of the interpreter at a time. */
function provider(over: Partial<RuntimeSpec> & { scheme?: Partial<SignatureScheme> } = {}) {
  const { scheme, ...rest } = over;
  const spec: RuntimeSpec = {
    id: 'acme',
    name: 'Acme',
    content: ['json'],
    methods: ['POST'],
    credentials: { secret: { primary: true, optional: false } },
    config: {},
    signatures: [{ name: 'v1', algorithm: 'hmac-sha256', key: { credential: 'secret', decode: 'utf8' }, from: '{header:x-sig}', format: {}, content: '{body}', encoding: 'hex', ...scheme }],
    event: { name: [{ value: '{json:/type}' }], id: [{ value: '{json:/id}' }] },
    handshakes: [],
    success: { status: 200 },
    events: [],
    ...rest,
  };
  return defineProvider<Record<string, unknown>>(spec);
}

const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
const body = '{"type":"thing.created","id":"evt_1"}';

describe('the signature rules', () => {
  it('refuses, when the receiver is built, an asymmetric scheme given a secret instead of a public key', () => {
    const ed = provider({ scheme: { algorithm: 'ed25519', key: { credential: 'secret', decode: 'utf8' }, encoding: 'base64' } });
    expect(() => createReceiver(ed, { secret: 'not-a-key' })).toThrow(CredentialError);
    expect(() => createReceiver(ed, { secret: 'not-a-key' })).toThrow('cannot use a secret key');
  });

  it('verifies Ed25519 with a public key, and never accepts a keyless hash as the signature', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
    const ed = provider({ scheme: { algorithm: 'ed25519', key: { credential: 'secret', decode: 'ed25519-hex' }, encoding: 'base64', content: '{header:x-ts}{body}' } });
    const receiver = createReceiver(ed, { secret: raw, dedup: false });
    const good = sign(null, Buffer.from(`1700000000${body}`), privateKey).toString('base64');
    expect(await receiver.verify({ headers: { 'x-sig': good, 'x-ts': '1700000000' }, body })).toMatchObject({ ok: true, event: { key: 'thing.created' } });
    const hashOnly = createHash('sha256').update(`1700000000${body}`).digest('base64');
    expect(await receiver.verify({ headers: { 'x-sig': hashOnly, 'x-ts': '1700000000' }, body })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('accepts any secret of a rotation, including plain-hash schemes whose content holds the secret', async () => {
    const hub = provider({ scheme: { algorithm: 'sha256', content: '{credential:secret}{body}' } });
    const receiver = createReceiver(hub, { secret: ['old-secret', 'new-secret'], dedup: false });
    const signedWithNew = createHash('sha256').update(`new-secret${body}`).digest('hex');
    expect(await receiver.verify({ headers: { 'x-sig': signedWithNew }, body })).toMatchObject({ ok: true });
    const signedWithOther = createHash('sha256').update(`other${body}`).digest('hex');
    expect(await receiver.verify({ headers: { 'x-sig': signedWithOther }, body })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('calls a signature that is not in its encoding malformed (400), and a wrong one a mismatch (401)', async () => {
    const receiver = createReceiver(provider(), { secret: 's' });
    expect(await receiver.verify({ headers: { 'x-sig': 'not hex!' }, body })).toMatchObject({ ok: false, reason: 'malformed_signature', status: 400 });
    expect(await receiver.verify({ headers: { 'x-sig': 'ab' }, body })).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401 });
    // Only the canonical spelling, as the providers' libraries do; upper case needs hex-any-case.
    expect(await receiver.verify({ headers: { 'x-sig': hmac('s', body).toUpperCase() }, body })).toMatchObject({ ok: false, reason: 'malformed_signature' });
    const anyCase = createReceiver(provider({ scheme: { encoding: 'hex-any-case' } }), { secret: 's' });
    expect(await anyCase.verify({ headers: { 'x-sig': hmac('s', body).toUpperCase() }, body })).toMatchObject({ ok: true });
  });

  it('finds headers in any case, and in a fetch Headers object', async () => {
    const receiver = createReceiver(provider(), { secret: 's', dedup: false });
    expect(await receiver.verify({ headers: { 'X-Sig': hmac('s', body) }, body })).toMatchObject({ ok: true });
    expect(await receiver.verify({ headers: new Headers({ 'X-SIG': hmac('s', body) }), body })).toMatchObject({ ok: true });
  });

  it('requires an offset in ISO 8601 timestamps rather than reading the server time zone', async () => {
    const iso = provider({ scheme: { content: '{header:x-ts}{body}', timestamp: { from: '{header:x-ts}', unit: 'iso8601', tolerance: 600, future: 60 } } });
    const now = Date.parse('2026-11-29T10:00:00Z');
    const receiver = createReceiver(iso, { secret: 's', now: () => now, dedup: false });
    const withOffset = '2026-11-29T09:59:00Z';
    expect(await receiver.verify({ headers: { 'x-sig': hmac('s', withOffset + body), 'x-ts': withOffset }, body })).toMatchObject({ ok: true });
    const local = '2026-11-29T09:59:00';
    expect(await receiver.verify({ headers: { 'x-sig': hmac('s', local + body), 'x-ts': local }, body })).toMatchObject({ ok: false, reason: 'malformed_timestamp' });
  });
});

describe('the request rules', () => {
  it('parses a body without Content-Type as the provider\'s first kind, and refuses unknown types with 415', async () => {
    const form = provider({ content: ['form'], event: { name: [{ value: '{form:type}' }] } });
    const receiver = createReceiver(form, { secret: 's', dedup: false });
    const text = 'type=thing.created&x=1';
    expect(await receiver.verify({ headers: { 'x-sig': hmac('s', text) }, body: text })).toMatchObject({ ok: true, event: { key: 'thing.created', payload: { type: 'thing.created', x: '1' } } });
    expect(await receiver.verify({ headers: { 'x-sig': hmac('s', text), 'content-type': 'application/octet-stream' }, body: text })).toMatchObject({
      ok: false,
      reason: 'unsupported_content_type',
      status: 415,
      authenticated: true,
    });
  });

  it('needs every credential not marked optional', () => {
    const two = provider({ credentials: { secret: { primary: true, optional: false }, appKey: { primary: false, optional: false } } });
    expect(() => createReceiver(two, { secret: 's' })).toThrow('needs credential `appKey`');
    expect(() => createReceiver(two, { secret: 's', credentials: { appKey: 'k' } })).not.toThrow();
  });

  it('refuses a parsed object as the body, naming the fix', async () => {
    const receiver = createReceiver(provider(), { secret: 's' });
    const result = await receiver.verify({ headers: {}, body: { type: 'x' } as unknown as string });
    expect(result).toMatchObject({ ok: false, reason: 'body_not_raw', status: 500 });
    expect(result.ok || result.message).toContain('express.json()');
  });

  it('answers a signed GET handshake although GET carries no events', async () => {
    const getChallenge = provider({
      handshakes: [{ name: 'crc', when: { method: ['GET'], present: ['{query:crc}'] }, authenticate: true, respond: { status: 200, body: '{hmac_sha256_hex(credential:secret, query:crc)}' } }],
      scheme: { content: '{query:crc}' },
    });
    const receiver = createReceiver(getChallenge, { secret: 's' });
    const result = await receiver.verify({ method: 'GET', url: '/hook?crc=nonce', headers: { 'x-sig': hmac('s', 'nonce') }, body: '' });
    expect(result).toMatchObject({ ok: true, kind: 'handshake', authenticated: true, response: { status: 200, body: hmac('s', 'nonce') } });
    expect(await receiver.verify({ method: 'GET', url: '/hook?crc=nonce', headers: { 'x-sig': hmac('x', 'nonce') }, body: '' })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('never pollutes Object.prototype from form or JSON bodies', async () => {
    const form = provider({ content: ['form', 'json'], event: { name: [{ value: '{json:/type}' }] } });
    const receiver = createReceiver(form, { secret: 's', dedup: false });
    for (const [type, text] of [
      ['application/x-www-form-urlencoded', 'type=x&__proto__[polluted]=1&constructor[prototype][polluted]=1&__proto__=1'],
      ['application/json', '{"type":"x","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}'],
    ]) {
      const result = await receiver.verify({ headers: { 'x-sig': hmac('s', text!), 'content-type': type! }, body: text! });
      expect(result.ok).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('dispatch', () => {
  it('runs name.action, name and any handlers once each, concurrently, and dedups by delivery id', async () => {
    const calls: string[] = [];
    const receiver = createReceiver(github, { secret: 's' })
      .on('issues.opened', async () => void calls.push('issues.opened'))
      .on('issues', async () => void calls.push('issues'))
      .on('issues.closed', async () => void calls.push('issues.closed'))
      .onAny(async (event) => void calls.push(`any:${event.key}`));
    const request = signRequest(github, { secret: 's', body: '{"action":"opened","issue":{"number":1}}', event: 'issues', id: 'd-1', headers: { 'content-type': 'application/json' } });
    expect((await receiver.handle(request)).status).toBe(200);
    expect((await receiver.handle(request)).status).toBe(200);
    expect(calls.sort()).toEqual(['any:issues.opened', 'issues', 'issues.opened']);
  });

  it('names an event by the first choice whose equals hold, and falls through to the next otherwise', async () => {
    const numbered = provider({
      event: {
        name: [
          { equals: { '{json:/kind}': '2' }, value: 'command' },
          { equals: { '{json:/kind}': '3', '{json:/sub}': '{json:/expected}' }, value: 'component' },
          { value: 'kind-{json:/kind}' },
        ],
      },
    });
    const receiver = createReceiver(numbered, { secret: 's' });
    const keyOf = async (text: string) => {
      const result = await receiver.verify({ method: 'POST', headers: { 'x-sig': hmac('s', text), 'content-type': 'application/json' }, body: text });
      return result.ok && result.kind === 'event' ? result.event.key : result;
    };
    expect(await keyOf('{"kind":2}')).toBe('command');
    expect(await keyOf('{"kind":"2"}')).toBe('command'); // JSON scalars render as text
    expect(await keyOf('{"kind":3,"sub":"a","expected":"a"}')).toBe('component');
    expect(await keyOf('{"kind":3,"sub":"a","expected":"b"}')).toBe('kind-3');
    expect(await keyOf('{"kind":3}')).toBe('kind-3'); // a side that is missing never matches
    expect(await keyOf('{"kind":20}')).toBe('kind-20');
  });
});
