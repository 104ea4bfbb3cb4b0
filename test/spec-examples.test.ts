import { describe, expect, it } from 'vitest';
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { platform } from '#crypto';
import { builtInModels, exampleReceiver, exampleRequest } from './support/examples.js';
import { parseTemplate } from '../runtime/template/parse.js';
import type { ProviderModel } from '../generator/provider.js';
import type { SpecExample } from '../generator/normalize.js';
import type { SignatureScheme } from '../runtime/spec/types.js';

/**
 * Every example of every spec is a test, and every accepted example also yields the negatives:
 * a tampered body, a wrong credential, a stale timestamp, a missing and a repeated signature header.
 */
describe.each(builtInModels.map((m) => [m.runtime.id, m] as const))('%s spec examples', (_id, model) => {
  it('has examples, including accepted ones', () => {
    expect(model.examples.length).toBeGreaterThan(0);
    expect(model.examples.some((e) => e.expect.ok)).toBe(true);
  });

  describe.each(model.examples.map((e) => [e.name, e] as const))('%s', (_name, example) => {
    // X.509 chains need node:crypto: on the Web Crypto platform such requests are refused, and say why.
    if (platform === 'web' && example.certificates) {
      it('is refused on the Web Crypto platform, naming node:crypto', async () => {
        const result = await exampleReceiver(model, example).verify(exampleRequest(model, example));
        expect(result).toMatchObject({ ok: false, reason: 'untrusted_key', status: 401, message: expect.stringContaining('node:crypto') });
      });
      return;
    }

    it('gives the expected outcome', async () => {
      const result = await exampleReceiver(model, example).verify(exampleRequest(model, example));
      const want = example.expect;
      expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(want.ok);
      if (result.ok && result.kind === 'event') {
        expect(want.handshake).toBeUndefined();
        if (want.event) expect(result.event.key).toBe(want.event);
        if (want.status) expect(result.response.status).toBe(want.status);
        if (want.body !== undefined) expect(result.response.body).toBe(want.body);
        if (want.id) expect(result.event.id).toBe(want.id);
        expect(result.event.provider).toBe(model.runtime.id);
      } else if (result.ok && result.kind === 'events') {
        expect(result.events.map((e) => e.key)).toEqual(want.events);
        if (want.id) for (const e of result.events) expect(e.id).toBe(want.id);
        if (want.status) expect(result.response.status).toBe(want.status);
        if (want.body !== undefined) expect(result.response.body).toBe(want.body);
      } else if (result.ok) {
        expect(result.handshake).toBe(want.handshake);
        if (want.status) expect(result.response.status).toBe(want.status);
        if (want.body !== undefined) expect(result.response.body).toBe(want.body);
      } else {
        if (want.reason) expect(result.reason).toBe(want.reason);
        if (want.status) expect(result.status).toBe(want.status);
        if (want.authenticated !== undefined) expect(result.authenticated).toBe(want.authenticated);
        expect(result.message.length).toBeGreaterThan(10);
      }
    });

    // Negatives need a signature to break: not for handshakes answered before any check (GET challenges).
    const openHandshake = model.runtime.handshakes.some((h) => h.name === example.expect.handshake && !h.authenticate);
    const authenticated = (example.expect.ok && !openHandshake) || example.expect.authenticated === true;
    if (!authenticated) return;
    const scheme = usedScheme(model, example);

    const location = signatureLocation(scheme.from);

    // A token scheme (a secret in the query, an org id in the body) signs no bytes: nothing to tamper with.
    if (scheme.algorithm !== 'token') it('rejects the body with one byte changed', async () => {
      const request = exampleRequest(model, example);
      const body = Buffer.from(request.body as Uint8Array);
      const at = Math.floor(body.length / 2);
      body[at] = body[at] === 0x41 ? 0x42 : 0x41;
      const result = await exampleReceiver(model, example).verify({ ...request, body });
      expect(result).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    });

    it('rejects it under another credential', async () => {
      const overrides = wrongCredential(example, scheme);
      const result = await exampleReceiver(model, example, overrides).verify(exampleRequest(model, example));
      expect(result).toMatchObject({ ok: false, reason: 'signature_mismatch', authenticated: false });
    });

    if (location.kind === 'header') {
      const header = location.name;
      it('rejects it without its signature header', async () => {
        const request = exampleRequest(model, example);
        delete request.headers[Object.keys(request.headers).find((h) => h.toLowerCase() === header)!];
        const result = await exampleReceiver(model, example).verify(request);
        expect(result).toMatchObject({ ok: false, reason: 'missing_signature', status: 400 });
        expect(result.ok || result.message).toContain(header);
      });

      it('rejects a repeated signature header', async () => {
        const request = exampleRequest(model, example);
        const key = Object.keys(request.headers).find((h) => h.toLowerCase() === header)!;
        request.headers[key] = [request.headers[key] as string, request.headers[key] as string];
        const result = await exampleReceiver(model, example).verify(request);
        expect(result).toMatchObject({ ok: false, reason: 'duplicate_header', status: 400 });
      });
    }

    if (location.kind === 'query') {
      it('rejects it without its query secret', async () => {
        const request = exampleRequest(model, example);
        const url = new URL(request.url!, 'http://x');
        url.searchParams.delete(location.name);
        const result = await exampleReceiver(model, example).verify({ ...request, url: url.pathname + url.search });
        expect(result).toMatchObject({ ok: false, reason: 'missing_signature', status: 400 });
      });
    }

    if (scheme.timestamp && example.now !== undefined) {
      const rule = scheme.timestamp;
      it(`rejects it ${rule.tolerance + 1} s after its timestamp`, async () => {
        const signedAt = signedTimestamp(model, example, scheme);
        const result = await exampleReceiver(model, example, { nowSeconds: signedAt + rule.tolerance + 1 }).verify(exampleRequest(model, example));
        expect(result).toMatchObject({ ok: false, reason: 'timestamp_too_old', status: 401 });
      });
      if (rule.future !== null) {
        it(`rejects it ${rule.future + 1} s before its timestamp`, async () => {
          const signedAt = signedTimestamp(model, example, scheme);
          const result = await exampleReceiver(model, example, { nowSeconds: signedAt - rule.future! - 1 }).verify(exampleRequest(model, example));
          expect(result).toMatchObject({ ok: false, reason: 'timestamp_in_future', status: 401 });
        });
      }
    }
  });
});

/** Where a scheme's signature is: a header, a query parameter, or elsewhere (a body field). */
function signatureLocation(template: string): { kind: 'header' | 'query'; name: string } | { kind: 'other' } {
  const nodes = parseTemplate(template);
  const node = nodes.length === 1 ? nodes[0] : undefined;
  if (node?.kind === 'source' && (node.source === 'header' || node.source === 'query')) return { kind: node.source, name: node.arg };
  return { kind: 'other' };
}

function headerOf(template: string): string {
  const location = signatureLocation(template);
  if (location.kind !== 'header') throw new Error(`not a header template: ${template}`);
  return location.name;
}

/** The scheme whose signature the example carries (and whose credential it configures). */
function usedScheme(model: ProviderModel, example: SpecExample): SignatureScheme {
  const headers = Object.keys(example.request.headers).map((h) => h.toLowerCase());
  const query = new URL(example.request.url ?? '/', 'http://x').searchParams;
  const primary = Object.entries(model.runtime.credentials).find(([, c]) => c.primary)![0];
  const configured = new Set([...Object.keys(example.credentials ?? {}), ...(example.secret ? [primary] : [])]);
  const scheme = model.runtime.signatures.find((s) => {
    if (s.key.credential ? !configured.has(s.key.credential) : !example.certificates) return false;
    const location = signatureLocation(s.from);
    if (location.kind === 'query') return query.has(location.name);
    if (location.kind === 'other') return true;
    if (!headers.includes(location.name)) return false;
    const value = String(example.request.headers[Object.keys(example.request.headers).find((h) => h.toLowerCase() === location.name)!]);
    return s.format.list === undefined || value.split(s.format.list).some((e) => e.trim().startsWith(`${s.format.signature}${s.format.pair ?? '='}`));
  });
  if (!scheme) throw new Error(`${model.runtime.id} example "${example.name}" carries no signature of a configured scheme`);
  return scheme;
}

function signedTimestamp(model: ProviderModel, example: SpecExample, scheme: SignatureScheme): number {
  const [node] = parseTemplate(scheme.timestamp!.from);
  const seconds = (text: string) => (scheme.timestamp!.unit === 'iso8601' ? Date.parse(text) / 1000 : scheme.timestamp!.unit === 'ms' ? Number(text) / 1000 : Number(text));
  if (node?.kind === 'source' && node.source === 'header') return seconds(String(example.request.headers[node.arg]));
  if (node?.kind === 'source' && node.source === 'param') {
    const value = String(example.request.headers[headerOf(scheme.from)]);
    return Number(new RegExp(`(?:^|${scheme.format.list})\\s*${node.arg}${scheme.format.pair}(\\d+)`).exec(value)![1]);
  }
  throw new Error(`${model.runtime.id}: cannot read the timestamp of "${example.name}"`);
}

function wrongCredential(example: SpecExample, scheme: SignatureScheme): { secret?: string; credentials?: Record<string, string> } {
  const other = (() => {
    switch (scheme.key.decode) {
      case 'whsec':
        return `whsec_${randomBytes(24).toString('base64')}`;
      case 'ed25519-base64': {
        const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
        return `whpk_${der.subarray(-32).toString('base64')}`;
      }
      case 'ed25519-hex':
        return generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
      default:
        // Changed at the front: schemes may compare only a prefix (Salesforce's 15-character org ids).
        if (scheme.key.select) {
          const [id, ...rest] = (example.secret ?? 'id=secret').split('=');
          return `${id}=x${rest.join('=')}`;
        }
        return `x${example.secret ?? 'secret'}`;
    }
  })();
  if (scheme.key.credential && example.credentials?.[scheme.key.credential] !== undefined) return { credentials: { ...example.credentials, [scheme.key.credential]: other } };
  return { secret: other };
}
