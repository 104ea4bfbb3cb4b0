import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createReceiver } from '../runtime/index.js';
import { paypal } from '../generated/paypal/index.js';
import type { Fetch } from '../runtime/verify/builtins/index.js';

/**
 * PayPal's postback check against a stand-in for PayPal's API: the fetch sees exactly what PayPal
 * would, and PayPal's verdict decides. No certificate is trusted here, so only the postback can pass.
 */
const body = readFileSync('schemas/providers/paypal/examples/requests/capture-completed.json');
const headers = {
  'content-type': 'application/json',
  'paypal-auth-algo': 'SHA256withRSA',
  'paypal-cert-url': 'https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270',
  'paypal-transmission-id': 'b2384410-f8d2-11ed-8b6a-5d7a7b1e2f01',
  'paypal-transmission-time': '2026-12-01T10:00:01Z',
  'paypal-transmission-sig': 'c2lnbmF0dXJl',
};

function fakePaypal(verdict: 'SUCCESS' | 'FAILURE' | 500) {
  const calls: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
  const fetch: Fetch = async (url, init) => {
    calls.push({ url, headers: init.headers, body: init.body });
    if (url.endsWith('/v1/oauth2/token')) return { ok: true, status: 200, json: async () => ({ access_token: 'A21AA-token', expires_in: 32400 }) };
    if (verdict === 500) return { ok: false, status: 500, json: async () => ({}) };
    return { ok: true, status: 200, json: async () => ({ verification_status: verdict }) };
  };
  return { fetch, calls };
}

const options = (fetch: Fetch, clientId = 'client-1') => ({
  secret: '1JE4291016473214C',
  credentials: { clientId, clientSecret: 'client-secret' },
  config: { apiBase: 'https://api-m.sandbox.paypal.com' },
  fetch,
  // No root trusts anything: the certificate scheme refuses, so the postback must carry it.
  certificates: { trustedCertificates: [], fetch: async () => ({ ok: false, status: 404, text: async () => '' }) },
  dedup: false as const,
});

describe('paypal-postback', () => {
  it('sends the signature headers and the event to verify-webhook-signature, with a cached OAuth token', async () => {
    const { fetch, calls } = fakePaypal('SUCCESS');
    const receiver = createReceiver(paypal, options(fetch));
    const first = await receiver.verify({ method: 'POST', url: '/', headers, body });
    expect(first).toMatchObject({ ok: true, kind: 'event', event: { key: 'PAYMENT.CAPTURE.COMPLETED', scheme: 'postback' } });
    await receiver.verify({ method: 'POST', url: '/', headers, body });
    const tokenCalls = calls.filter((c) => c.url.endsWith('/v1/oauth2/token'));
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]!.headers.authorization).toBe(`Basic ${Buffer.from('client-1:client-secret').toString('base64')}`);
    const verify = calls.find((c) => c.url === 'https://api-m.sandbox.paypal.com/v1/notifications/verify-webhook-signature')!;
    expect(verify.headers.authorization).toBe('Bearer A21AA-token');
    expect(JSON.parse(verify.body)).toEqual({
      auth_algo: 'SHA256withRSA',
      cert_url: headers['paypal-cert-url'],
      transmission_id: headers['paypal-transmission-id'],
      transmission_sig: headers['paypal-transmission-sig'],
      transmission_time: headers['paypal-transmission-time'],
      webhook_id: '1JE4291016473214C',
      webhook_event: JSON.parse(body.toString()),
    });
  });

  it("refuses what PayPal calls FAILURE, and says so when PayPal's API fails", async () => {
    const failure = await createReceiver(paypal, options(fakePaypal('FAILURE').fetch, 'client-2')).verify({ method: 'POST', url: '/', headers, body });
    expect(failure).toMatchObject({ ok: false, reason: 'signature_mismatch', authenticated: false });
    const down = await createReceiver(paypal, options(fakePaypal(500).fetch, 'client-3')).verify({ method: 'POST', url: '/', headers, body });
    expect(down).toMatchObject({ ok: false, authenticated: false });
    expect(down.ok || down.message).toMatch(/untrusted|certificate|answered 500/);
  });

  it('is skipped (only the certificate check runs) when no client secret is configured', async () => {
    const { fetch, calls } = fakePaypal('SUCCESS');
    const result = await createReceiver(paypal, { ...options(fetch), credentials: {} }).verify({ method: 'POST', url: '/', headers, body });
    expect(result).toMatchObject({ ok: false, reason: 'untrusted_key' });
    expect(calls).toHaveLength(0);
  });
});
