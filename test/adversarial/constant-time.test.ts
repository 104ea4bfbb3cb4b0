import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * Comparisons of signatures go through `crypto.timingSafeEqual` on decoded bytes of equal length.
 *
 * `vi.spyOn` cannot redefine a property of the `node:crypto` module namespace under ESM, so the module
 * is mocked instead: every export is the real one, and `timingSafeEqual` is the real function wrapped in
 * a spy. The runtime imports `{ timingSafeEqual } from 'node:crypto'` and so calls the spy.
 */
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  const timingSafeEqual = vi.fn(actual.timingSafeEqual);
  return { ...actual, timingSafeEqual, default: { ...actual, timingSafeEqual } };
});

const crypto = await import('node:crypto');
const { builtInModels, providerOf, sourceNames, stripQuery } = await import('../support/examples.js');
const { equalBytes } = await import('../../runtime/crypto/node.js');
const { REASONS, createReceiver, signRequest } = await import('../../runtime/index.js');
type SignatureScheme = import('../../runtime/spec/types.js').SignatureScheme;
type ProviderModel = import('../../generator/provider.js').ProviderModel;

const spy = vi.mocked(crypto.timingSafeEqual);
const T = 1_764_388_800_000;
const SYMMETRIC = new Set(['hmac-sha1', 'hmac-sha256', 'hmac-sha512', 'sha256', 'token']);

afterEach(() => spy.mockClear());

/** Every argument pair timingSafeEqual was called with had equal lengths. */
function expectEqualLengthCalls(): void {
  for (const [a, b] of spy.mock.calls) expect((a as Uint8Array).byteLength).toBe((b as Uint8Array).byteLength);
}


interface Case {
  label: string;
  model: ProviderModel;
  scheme: SignatureScheme;
  secret: string;
  sample: { body: Buffer; headers: Record<string, string>; method?: string; url?: string };
  header: string;
}

const headerNames = (template: string | undefined) => sourceNames(template, 'header');

/** The symmetric schemes of every built-in provider, with a secret in the form its key decoding needs. */
function symmetricCases(): Case[] {
  const cases: Case[] = [];
  for (const model of builtInModels) {
    const primary = Object.entries(model.runtime.credentials).find(([, c]) => c.primary)?.[0];
    for (const scheme of model.runtime.signatures) {
      if (!SYMMETRIC.has(scheme.algorithm) || scheme.key.credential !== primary) continue;
      const text = `constant-time-${model.runtime.id}`;
      const raw = { utf8: text, whsec: `whsec_${Buffer.from(text).toString('base64')}`, base64: Buffer.from(text).toString('base64'), hex: Buffer.from(text).toString('hex') }[
        scheme.key.decode as 'utf8'
      ];
      if (raw === undefined) continue;
      const select = (scheme.key as { select?: string }).select;
      const strip = new Set(model.runtime.signatures.flatMap((s) => [...headerNames(s.from), ...headerNames(s.timestamp?.from), ...headerNames(s.content), ...headerNames((s.key as { select?: string }).select)]));
      const example = model.examples.find((e) => e.expect.ok && !e.expect.handshake);
      if (!example) continue;
      const headers = Object.fromEntries(Object.entries(example.request.headers).filter(([k]) => !strip.has(k.toLowerCase())).map(([k, v]) => [k.toLowerCase(), String(v)]));
      const body = example.request.bodyFile ? readFileSync(join(model.dir, example.request.bodyFile)) : Buffer.from(example.request.body ?? '');
      const header = headerNames(scheme.from)[0];
      if (!header) continue;
      cases.push({ label: `${model.runtime.id}/${scheme.name}`, model, scheme, secret: select ? `ct-key=${raw}` : raw, sample: { body, headers, method: example.request.method, url: stripQuery(example.request.url, model.runtime.signatures.map((s) => s.from)) }, header });
    }
  }
  return cases;
}

const cases = symmetricCases();

function setup(c: Case) {
  const provider = providerOf(c.model);
  const config = Object.assign({}, ...c.model.examples.map((e) => e.config ?? {})) as Record<string, string>;
  const receiver = createReceiver(provider, { secret: c.secret, config, now: () => T, dedup: false });
  const signed = signRequest(provider, { secret: c.secret, config, scheme: c.scheme.name, body: c.sample.body, headers: c.sample.headers, method: c.sample.method, url: c.sample.url, now: T });
  const value = signed.headers[c.header]!;
  const format = c.scheme.format;
  const label = format.list !== undefined ? `${format.signature}${format.pair ?? '='}` : (format.prefix ?? '');
  const at = label ? value.lastIndexOf(label) + label.length : 0;
  const digest = value.slice(at);
  const encoding = c.scheme.encoding === 'hex-any-case' ? 'hex' : c.scheme.encoding === 'utf8' ? 'utf8' : c.scheme.encoding;
  const withDigest = (bytes: Buffer) => ({ ...signed, headers: { ...signed.headers, [c.header]: value.slice(0, at) + bytes.toString(encoding) } });
  return { receiver, signed, digest: Buffer.from(String(digest), encoding), withDigest };
}

describe('timingSafeEqual can be observed', () => {
  it('the runtime calls the mocked timingSafeEqual', () => {
    expect(equalBytes(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe('equalBytes (runtime/crypto/node.ts)', () => {
  it('different lengths: false, no exception, timingSafeEqual never called', () => {
    const pairs: Array<[Uint8Array, Uint8Array]> = [
      [Buffer.alloc(32), Buffer.alloc(31)],
      [Buffer.alloc(0), Buffer.alloc(32)],
      [Buffer.alloc(32, 1), Buffer.alloc(64, 1)],
      [new Uint8Array(20), Buffer.alloc(32)],
    ];
    for (const [a, b] of pairs) {
      expect(() => equalBytes(a, b)).not.toThrow();
      expect(equalBytes(a, b)).toBe(false);
      expect(equalBytes(b, a)).toBe(false);
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it('equal lengths: compared by timingSafeEqual, whichever byte differs', () => {
    const a = Buffer.alloc(32, 7);
    for (const at of [0, 15, 31]) {
      const b = Buffer.from(a);
      b[at] = b[at]! ^ 1;
      expect(equalBytes(a, b)).toBe(false);
    }
    expect(equalBytes(a, Buffer.from(a))).toBe(true);
    expect(spy).toHaveBeenCalledTimes(4);
    expectEqualLengthCalls();
  });

  it('is the only caller of timingSafeEqual in runtime/, and checks lengths first', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts')) files.push(path);
      }
    };
    walk('runtime');
    const calls = files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^.*timingSafeEqual\(.*$/gm)].map((m) => `${file}: ${m[0].trim()}`));
    expect(calls).toEqual(['runtime/crypto/node.ts: return a.length === b.length && timingSafeEqual(a, b);']);
    // and no signature is compared as a string: no `===` / `!==` / localeCompare between candidates and expected digests
    const verifySource = readFileSync('runtime/verify/signatures.ts', 'utf8');
    expect(verifySource).not.toMatch(/(candidate|expected|digest)\s*(===|!==|==|!=)\s*(candidate|expected|digest)/);
    expect(verifySource).not.toMatch(/\.localeCompare\(/);
  });
});

describe.each(cases.map((c) => [c.label, c] as const))('%s', (_label, c) => {
  it('a valid signature is accepted through timingSafeEqual on equal-length bytes', async () => {
    const { receiver, signed } = setup(c);
    spy.mockClear();
    const result = await receiver.verify(signed);
    expect(result.ok, result.ok ? '' : result.message).toBe(true);
    expect(spy).toHaveBeenCalled();
    expectEqualLengthCalls();
  });

  it('a wrong-length signature: signature_mismatch, no exception, no compare', async () => {
    const { receiver, digest, withDigest } = setup(c);
    const lengths = [1, digest.length - 1, digest.length + 1, digest.length * 2];
    spy.mockClear();
    for (const n of lengths) {
      const bytes = Buffer.alloc(n, 0xab);
      digest.copy(bytes, 0, 0, Math.min(n, digest.length)); // a prefix of the genuine one, even
      let result: Awaited<ReturnType<typeof receiver.verify>> | undefined;
      await expect((async () => (result = await receiver.verify(withDigest(bytes))))()).resolves.toBeDefined();
      expect(result, `${n} bytes`).toMatchObject({ ok: false, reason: 'signature_mismatch', status: REASONS.signature_mismatch, authenticated: false });
    }
    expect(spy, 'a candidate of the wrong length is refused before any compare').not.toHaveBeenCalled();
  });

  it('a right-length wrong signature is compared in full, whichever byte differs (no early exit)', async () => {
    const { receiver, digest, withDigest } = setup(c);
    const counts: number[] = [];
    for (const at of [0, Math.floor(digest.length / 2), digest.length - 1]) {
      const bytes = Buffer.from(digest);
      bytes[at] = bytes[at]! ^ 0x80;
      spy.mockClear();
      const result = await receiver.verify(withDigest(bytes));
      expect(result).toMatchObject({ ok: false, reason: 'signature_mismatch', authenticated: false });
      expectEqualLengthCalls();
      counts.push(spy.mock.calls.length);
      for (const [a, b] of spy.mock.calls) expect((a as Uint8Array).byteLength === digest.length && (b as Uint8Array).byteLength === digest.length).toBe(true);
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(new Set(counts).size, `compares per position: ${counts.join(', ')}`).toBe(1);
  });
});

describe('coverage', () => {
  it('has a symmetric case for each built-in provider with an HMAC primary scheme', () => {
    const ids = new Set(cases.map((c) => c.model.runtime.id));
    for (const id of ['github', 'stripe', 'slack', 'standard-webhooks']) expect([...ids]).toContain(id);
  });
});
