import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CertificateKeys } from '../runtime/verify/certificates.js';
import type { CertificateRule } from '../runtime/spec/types.js';

const pki = (file: string) => readFileSync(`schemas/providers/paypal/examples/pki/${file}`, 'utf8');
const rule: CertificateRule = { url: '{header:x}', hosts: ['api.paypal.com', '*.sandbox.paypal.com'], subject: 'messageverificationcerts.paypal.com' };
const now = Date.parse('2027-01-01T00:00:00Z');

/** A fetch that serves fixed texts and counts what it was asked for. */
function server(files: Record<string, string>) {
  const asked: Array<{ url: string; redirect: string }> = [];
  const fetch = async (url: string, init: { redirect: string }) => {
    asked.push({ url, redirect: init.redirect });
    const text = files[url];
    return text === undefined ? { ok: false, status: 404, text: async () => 'not found' } : { ok: true, status: 200, text: async () => text };
  };
  return { fetch, asked };
}

describe('certificate keys', () => {
  it('downloads once per URL, without following redirects, and trusts a chain up to the given root', async () => {
    const { fetch, asked } = server({ 'https://api.paypal.com/c/1': pki('test-cert.pem') + pki('test-root.pem') });
    const keys = new CertificateKeys({ fetch, trustedCertificates: [pki('test-root.pem')] });
    const first = await keys.key(rule, 'https://api.paypal.com/c/1', now);
    const second = await keys.key(rule, 'https://api.paypal.com/c/1', now);
    expect('asymmetricKeyType' in first && first.asymmetricKeyType).toBe('rsa');
    expect(second).toBe(first);
    expect(asked).toEqual([{ url: 'https://api.paypal.com/c/1', redirect: 'error' }]);
  });

  it.each([
    ['http://api.paypal.com/c/1', 'over https'],
    ['https://api.paypal.com:8443/c/1', 'not one this provider uses'],
    ['https://user@api.paypal.com/c/1', 'not one this provider uses'],
    ['https://api.paypal.com.evil.example/c/1', 'not one this provider uses'],
    ['https://sandbox.paypal.com.evil/c', 'not one this provider uses'],
    ['not a url', 'not a URL'],
  ])('never fetches %s', async (url, message) => {
    const { fetch, asked } = server({});
    const result = await new CertificateKeys({ fetch, trustedCertificates: [pki('test-root.pem')] }).key(rule, url, now);
    expect(result).toMatchObject({ ok: false, reason: 'untrusted_key' });
    expect('message' in result && result.message).toContain(message);
    expect(asked).toEqual([]);
  });

  it('allows subdomains only where the spec says *.', async () => {
    const { fetch } = server({ 'https://api-m.sandbox.paypal.com/c': pki('test-cert.pem') });
    const result = await new CertificateKeys({ fetch, trustedCertificates: [pki('test-root.pem')] }).key(rule, 'https://api-m.sandbox.paypal.com/c', now);
    expect('asymmetricKeyType' in result).toBe(true);
  });

  it('refuses a self-signed certificate, one outside its validity, one for another name, and does not cache failures', async () => {
    const { fetch, asked } = server({ 'https://api.paypal.com/self': pki('self-signed.pem'), 'https://api.paypal.com/ok': pki('test-cert.pem') });
    const keys = new CertificateKeys({ fetch, trustedCertificates: [pki('test-root.pem')] });
    expect(await keys.key(rule, 'https://api.paypal.com/self', now)).toMatchObject({ reason: 'untrusted_key', message: expect.stringContaining('trusted root') });
    expect(await keys.key(rule, 'https://api.paypal.com/self', now)).toMatchObject({ reason: 'untrusted_key' });
    expect(asked.filter((a) => a.url.endsWith('/self'))).toHaveLength(2);
    expect(await keys.key(rule, 'https://api.paypal.com/ok', Date.parse('2200-01-01'))).toMatchObject({ message: expect.stringContaining('not valid now') });
    const otherName = { ...rule, subject: 'api.example.com' };
    expect(await new CertificateKeys({ fetch, trustedCertificates: [pki('test-root.pem')] }).key(otherName, 'https://api.paypal.com/ok', now)).toMatchObject({
      message: expect.stringContaining('not issued for api.example.com'),
    });
  });

  it('does not trust the test root by default (Node\'s bundled roots only)', async () => {
    const { fetch } = server({ 'https://api.paypal.com/ok': pki('test-cert.pem') });
    expect(await new CertificateKeys({ fetch }).key(rule, 'https://api.paypal.com/ok', now)).toMatchObject({ reason: 'untrusted_key' });
  });

  it('answers a download failure as untrusted_key rather than throwing', async () => {
    const fetch = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    expect(await new CertificateKeys({ fetch }).key(rule, 'https://api.paypal.com/x', now)).toMatchObject({ reason: 'untrusted_key', message: expect.stringContaining('ECONNREFUSED') });
  });
});
