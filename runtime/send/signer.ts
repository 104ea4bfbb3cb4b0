import type { Provider } from '../provider.js';
import { signRequest } from '../sign/sign.js';
import { singleHeader } from '../template/parse.js';
import type { Message, SubscriptionSecret } from '../store/types.js';
import { activeSecrets } from './secrets.js';

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Signs a message for one subscription with the signing provider's scheme (Standard Webhooks by
 * default): the message id is the delivery id header (`webhook-id`), stable across retries so
 * receivers can dedupe. During a secret rotation, schemes whose signature header is a space-separated
 * list (Standard Webhooks, Svix) carry one signature per active secret; other schemes sign with the
 * current secret only, because their headers have no agreed way to carry several.
 */
export function createSigner(provider: Provider<object, unknown>) {
  const spec = provider.spec;
  const primary = Object.entries(spec.credentials).find(([, c]) => c.primary)?.[0];
  const scheme = spec.signatures.find((s) => s.key.credential === primary) ?? spec.signatures[0];
  const signatureHeader = scheme ? singleHeader(scheme.from) : undefined;
  const multi = scheme?.format.list === ' ' && signatureHeader !== undefined;

  return function sign(message: Message, url: string, secrets: readonly SubscriptionSecret[], customHeaders: Record<string, string>, now: number): SignedRequest {
    const active = activeSecrets(secrets, now);
    const base = { 'content-type': 'application/json', ...customHeaders };
    const sign = (secret: string) =>
      signRequest(provider, { secret, body: message.payload, now, id: message.id, event: message.eventType, headers: base, url: '/' });
    const first = sign(active[0]?.secret ?? '');
    const headers = first.headers;
    if (multi && active.length > 1) {
      const values = [headers[signatureHeader!], ...active.slice(1).map((s) => sign(s.secret).headers[signatureHeader!])];
      headers[signatureHeader!] = values.filter(Boolean).join(' ');
    }
    // A scheme that puts its signature in the query (rare) appends it to `first.url`.
    const query = first.url && first.url !== '/' ? first.url.slice(first.url.indexOf('?')) : '';
    return { url: query ? `${url}${url.includes('?') ? `&${query.slice(1)}` : query}` : url, headers, body: message.payload };
  };
}

export type Signer = ReturnType<typeof createSigner>;
