import { encodeBytes, utf8Bytes } from '#crypto';
import { reject, type Rejection } from '../errors.js';

/** The subset of fetch a built-in verifier uses; inject it in tests. */
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal; redirect: 'error' }) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

export interface PaypalPostbackParams {
  /** https://api-m.paypal.com, or https://api-m.sandbox.paypal.com */
  apiBase: string;
  clientId: string;
  clientSecret: string;
  webhookId: string;
  transmissionId: string;
  transmissionTime: string;
  transmissionSig: string;
  certUrl: string;
  authAlgo: string;
}

const tokens = new Map<string, { token: string; expiresAt: number }>();

/**
 * PayPal's "postback" verification: the request's signature headers and the event are sent back to
 * PayPal's `verify-webhook-signature` API with the app's OAuth token, and PayPal answers SUCCESS or
 * FAILURE. It trusts PayPal's answer rather than a certificate, at the cost of a call per event.
 * The token is cached until shortly before it expires.
 */
export async function paypalPostback(params: PaypalPostbackParams, body: string, fetch: Fetch, nowMs: number): Promise<boolean | Rejection> {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return reject('invalid_body', 'the body is not JSON, so it cannot be sent to PayPal for verification');
  }
  const signal = AbortSignal.timeout(10_000);
  try {
    const token = await accessToken(params, fetch, nowMs, signal);
    const response = await fetch(`${params.apiBase}/v1/notifications/verify-webhook-signature`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        auth_algo: params.authAlgo,
        cert_url: params.certUrl,
        transmission_id: params.transmissionId,
        transmission_sig: params.transmissionSig,
        transmission_time: params.transmissionTime,
        webhook_id: params.webhookId,
        webhook_event: event,
      }),
      signal,
      redirect: 'error',
    });
    if (!response.ok) return reject('untrusted_key', `PayPal's verify-webhook-signature answered ${response.status}`);
    const answer = (await response.json()) as { verification_status?: unknown };
    return answer.verification_status === 'SUCCESS';
  } catch (error) {
    return reject('untrusted_key', `PayPal's verify-webhook-signature could not be reached: ${(error as Error).message}`);
  }
}

async function accessToken(params: PaypalPostbackParams, fetch: Fetch, nowMs: number, signal: AbortSignal): Promise<string> {
  const cacheKey = `${params.apiBase} ${params.clientId}`;
  const cached = tokens.get(cacheKey);
  if (cached && cached.expiresAt > nowMs) return cached.token;
  const response = await fetch(`${params.apiBase}/v1/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${encodeBytes(utf8Bytes(`${params.clientId}:${params.clientSecret}`), 'base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
    signal,
    redirect: 'error',
  });
  if (!response.ok) throw new Error(`the OAuth token request answered ${response.status} (check clientId and clientSecret)`);
  const answer = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
  if (typeof answer.access_token !== 'string') throw new Error('the OAuth token answer has no access_token');
  const lifetimeMs = (typeof answer.expires_in === 'number' ? answer.expires_in : 300) * 1000;
  tokens.set(cacheKey, { token: answer.access_token, expiresAt: nowMs + lifetimeMs - 60_000 });
  return answer.access_token;
}
