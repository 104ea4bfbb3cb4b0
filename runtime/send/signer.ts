import type { Provider } from '../provider.js';
import { signRequest, SigningError, type SignOptions } from '../sign/sign.js';
import type { RuntimeSpec, SignatureScheme } from '../spec/types.js';
import { compileTemplate } from '../template/compile.js';
import { singleHeader } from '../template/parse.js';
import { RequestContext } from '../verify/request.js';
import type { Message, SubscriptionSecret } from '../store/types.js';
import { activeSecrets, isSigningKey, type SignatureKind } from './secrets.js';

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The schemes a provider signs sent webhooks with: its primary credential's, and an Ed25519 one if it has one. */
function sendingSchemes(spec: RuntimeSpec): { hmac: SignatureScheme | undefined; ed25519: SignatureScheme | undefined } {
  const primary = Object.entries(spec.credentials).find(([, c]) => c.primary)?.[0];
  const hmac = spec.signatures.find((s) => s.key.credential === primary) ?? spec.signatures[0];
  // A key the request does not point to (no certificate): the subscription holds the private half.
  const ed25519 = spec.signatures.find((s) => s.algorithm === 'ed25519' && s.key.credential !== undefined && !s.key.certificate);
  return { hmac, ed25519 };
}

/** What a subscription of a sender signing as this provider may hold: Standard Webhooks allows both. */
export function signatureKinds(provider: Provider<object, unknown>): SignatureKind[] {
  const { hmac, ed25519 } = sendingSchemes(provider.spec);
  return [...(hmac && hmac.algorithm !== 'ed25519' ? (['hmac'] as const) : []), ...(ed25519 ? (['ed25519'] as const) : [])];
}

/**
 * Signs a message for one subscription with the signing provider's scheme (Standard Webhooks by
 * default): the message id is the delivery id header (`webhook-id`), stable across retries so
 * receivers can dedupe. A `whsk_` secret signs with the provider's Ed25519 scheme (Standard Webhooks
 * `v1a`), any other secret with its primary credential's scheme (`v1`).
 *
 * During a rotation, schemes whose signature header is a list (Standard Webhooks, Svix: `v1,… v1a,…`;
 * Stripe: `t=…,v1=…,v1=…`) carry one signature per active secret, so a receiver holding either the
 * old or the new secret accepts the request. Single-signature schemes (GitHub's `sha256=<hex>`,
 * ASP.NET's `ms-signature`) sign with the current secret only: their header has no agreed way to
 * carry several, and the official verifiers compare the whole value. Their receivers must switch to
 * the new secret when it is rotated (or accept both, as hookgen's receivers do with a list of secrets).
 */
export function createSigner(provider: Provider<object, unknown>) {
  const spec = provider.spec;
  const schemes = sendingSchemes(spec);
  const eventName = eventNamer(spec);

  const schemeFor = (secret: string): SignatureScheme => {
    const ed25519 = isSigningKey(secret);
    const scheme = ed25519 ? schemes.ed25519 : schemes.hmac;
    if (!scheme) {
      throw new SigningError(
        ed25519
          ? `the subscription's key is Ed25519 (\`whsk_…\`), but ${spec.name} has no Ed25519 scheme to sign with; rotate to an HMAC secret`
          : `${spec.name} has no scheme signed with a shared secret; give the subscription an Ed25519 key (\`whsk_…\`)`,
      );
    }
    return scheme;
  };

  return function sign(message: Message, url: string, secrets: readonly SubscriptionSecret[], customHeaders: Record<string, string>, now: number): SignedRequest {
    const active = activeSecrets(secrets, now);
    const base = { 'content-type': 'application/json', ...customHeaders };
    const event = eventName(message.eventType, message.payload);
    const signWith = (secret: string) => {
      const scheme = schemeFor(secret);
      // Options written out, not spread from a `key` object: the spread made V8 build a slow object
      // and tripled the cost of signing (15 µs instead of 4.5 µs a delivery, timed in a loop over sign()).
      const hmac = scheme === schemes.hmac;
      const options: SignOptions = {
        secret: hmac ? secret : undefined, credentials: hmac ? undefined : { [scheme.key.credential!]: secret },
        scheme: scheme.name, body: message.payload, now, id: message.id, event, headers: base, url: '/',
      };
      return { scheme, request: signRequest(provider, options) };
    };
    const first = signWith(active[0]?.secret ?? '');
    const headers = first.request.headers;
    const header = singleHeader(first.scheme.from);
    const list = first.scheme.format.list;
    if (header !== undefined && list !== undefined) {
      for (const other of active.slice(1)) {
        const signed = signWith(other.secret);
        const otherHeader = singleHeader(signed.scheme.from);
        const value = otherHeader === undefined ? undefined : signed.request.headers[otherHeader];
        if (otherHeader === undefined || value === undefined) continue;
        if (otherHeader !== header) {
          headers[otherHeader] ??= value;
          continue;
        }
        // Entries other than signatures (Stripe's `t=`) are the same for every secret: keep one of each.
        const entries = headers[header]!.split(list);
        for (const entry of value.split(list)) if (!entries.includes(entry)) entries.push(entry);
        headers[header] = entries.join(list);
      }
    }
    // A scheme that puts its signature in the query (rare) appends it to `first.url`.
    const signedUrl = first.request.url;
    const query = signedUrl && signedUrl !== '/' ? signedUrl.slice(signedUrl.indexOf('?')) : '';
    return { url: query ? `${url}${url.includes('?') ? `&${query.slice(1)}` : query}` : url, headers, body: message.payload };
  };
}

/**
 * The event name as the provider writes it where the spec reads it from a header. Publishing uses
 * dispatch keys; for a provider whose key is `name.action` with the action in the body (GitHub's
 * `issues.opened` is `X-GitHub-Event: issues` and `"action": "opened"`), the header gets the name.
 */
function eventNamer(spec: RuntimeSpec): (type: string, payload: string) => string {
  if (spec.event.action === undefined) return (type) => type;
  const action = compileTemplate(spec.event.action);
  return (type, payload) => {
    const ctx = new RequestContext({ headers: { 'content-type': 'application/json' }, body: payload }, {}, {}, spec);
    const value = action.text(ctx);
    return value && type.endsWith(`.${value}`) ? type.slice(0, -value.length - 1) : type;
  };
}

export type Signer = ReturnType<typeof createSigner>;
