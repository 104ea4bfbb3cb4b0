import { checkEventFilter } from '../store/event-filter.js';
import { newId } from '../store/ids.js';
import { randomBytes } from 'node:crypto';
import type { PostResult } from './http.js';
import type { Store, Subscription, SubscriptionPatch } from '../store/types.js';
import { checkSecret, generateSecret, generateSigningKey, kindOf, publicKeyOf, rotateSecrets, type SignatureKind } from './secrets.js';
import type { Clock } from './worker.js';

export interface CreateSubscriptionInput {
  url: string;
  /** Event filters: exact names, `prefix.*`, or `*` (the default). */
  events?: string[];
  /**
   * The signing secret; generated when omitted: `whsec_` + 24 random bytes, or with
   * `signature: 'ed25519'` an Ed25519 key `whsk_…` (its public key comes back as `publicKey`).
   */
  secret?: string;
  /**
   * `hmac` (a shared secret, Standard Webhooks `v1`) or `ed25519` (a key pair, Standard Webhooks
   * `v1a`: the subscriber verifies with the public key and cannot forge requests). Default: what
   * `secret` is (`whsk_…` is Ed25519), else `hmac`.
   */
  signature?: SignatureKind;
  headers?: Record<string, string>;
  metadata?: Record<string, unknown>;
  tenant?: string;
  /**
   * Check the endpoint before saving it, as ASP.NET WebHooks did: GET `<url>?echo=<random>` must answer
   * 2xx with exactly that text. A URL carrying `noecho` skips it.
   */
  verifyEcho?: boolean;
}

export interface UpdateSubscriptionInput {
  url?: string;
  events?: string[];
  headers?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

export class SubscriptionError extends Error {}

/** A subscription as `create` and `rotateSecret` return it: with the public key to give the subscriber. */
export interface SubscriptionWithKey extends Subscription {
  /** For an Ed25519 subscription: the current key's public half (`whpk_…`), for the subscriber's verifier. */
  publicKey?: string;
}

export interface RotateSecretOptions {
  /** The new secret or `whsk_` key; generated (of the kind of `signature`) when omitted. */
  secret?: string;
  /** How long the old secrets keep signing (default 24 h). */
  graceMs?: number;
  /** The kind of the new secret (default: the current one's); switching kinds signs both ways during the grace period. */
  signature?: SignatureKind;
}

/** Day-long grace by default, as Svix: receivers have a day to switch to the new secret. */
const DEFAULT_GRACE_MS = 24 * 3600_000;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Subscription operations with their checks; the store only persists. `kinds` are the signature kinds
 * the sender's signing provider can produce (both for Standard Webhooks), checked before a key is saved.
 */
export function createSubscriptions(
  store: Store,
  clock: Clock,
  http: () => { get(url: string): Promise<PostResult> },
  kinds: { supported: readonly SignatureKind[]; provider: string } = { supported: ['hmac', 'ed25519'], provider: 'Standard Webhooks' },
) {
  const newSecret = (given: string | undefined, kind: SignatureKind | undefined): string => {
    const wanted = kind ?? (given === undefined ? 'hmac' : kindOf(given));
    if (!kinds.supported.includes(wanted)) {
      const alternative = kinds.supported[0];
      throw new SubscriptionError(
        `this sender signs as ${kinds.provider}, which has no ${wanted === 'ed25519' ? 'Ed25519' : 'HMAC'} scheme` +
          (alternative ? `: use \`signature: '${alternative}'\`${alternative === 'ed25519' ? ' (a `whsk_…` key)' : ' (a shared secret)'}` : ''),
      );
    }
    const secret = given ?? (wanted === 'ed25519' ? generateSigningKey().secret : generateSecret());
    const problem = checkSecret(secret);
    if (problem) throw new SubscriptionError(problem);
    if (kindOf(secret) !== wanted) {
      throw new SubscriptionError(`signature \`${wanted}\` needs ${wanted === 'ed25519' ? 'a `whsk_…` private key' : 'an HMAC secret, not a `whsk_…` key'} as its secret (or none, to have one generated)`);
    }
    return secret;
  };
  const withKey = (s: Subscription): SubscriptionWithKey => {
    const current = s.secrets[0]?.secret;
    return current !== undefined && kindOf(current) === 'ed25519' ? { ...s, publicKey: publicKeyOf(current) } : s;
  };

  const mustGet = async (id: string) => {
    const s = await store.getSubscription(id);
    if (!s) throw new SubscriptionError(`no subscription \`${id}\``);
    return s;
  };
  const patch = async (id: string, p: SubscriptionPatch) => {
    await mustGet(id);
    return (await store.updateSubscription(id, p, clock.now()))!;
  };

  return {
    async create(input: CreateSubscriptionInput): Promise<SubscriptionWithKey> {
      const secret = newSecret(input.secret, input.signature);
      const url = checkUrl(input.url);
      if (input.verifyEcho && !new URL(url).searchParams.has('noecho')) await verifyEcho(url, http());
      return withKey(await store.createSubscription({
        id: newId('sub', clock.now()),
        tenant: input.tenant ?? '',
        url,
        events: checkEvents(input.events ?? ['*']),
        secrets: [{ secret, expiresAt: null }],
        headers: checkHeaders(input.headers ?? {}),
        metadata: input.metadata ?? {},
      }, clock.now()));
    },
    get: (id: string) => store.getSubscription(id),
    list: (query?: { tenant?: string }) => store.listSubscriptions(query),
    async update(id: string, input: UpdateSubscriptionInput): Promise<Subscription> {
      return patch(id, {
        url: input.url === undefined ? undefined : checkUrl(input.url),
        events: input.events === undefined ? undefined : checkEvents(input.events),
        headers: input.headers === undefined ? undefined : checkHeaders(input.headers),
        metadata: input.metadata,
      });
    },
    delete: (id: string) => store.deleteSubscription(id),
    /** Paused: publishes skip it, and its queued deliveries wait until `resume`. */
    pause: (id: string) => patch(id, { paused: true }),
    resume: (id: string) => patch(id, { paused: false }),
    /** Re-enables an endpoint disabled after a 410 or a long run of failures. */
    enable: (id: string) => patch(id, { disabled: false, disabledReason: null, firstFailureAt: null }),
    /**
     * New current secret (given or generated, of the current one's kind unless `signature` says);
     * the old ones still sign for `graceMs` (default 24 h).
     */
    async rotateSecret(id: string, options: RotateSecretOptions = {}): Promise<SubscriptionWithKey> {
      const current = await mustGet(id);
      const currentKind = current.secrets[0] ? kindOf(current.secrets[0].secret) : undefined;
      const next = newSecret(options.secret, options.signature ?? (options.secret === undefined ? currentKind : undefined));
      return withKey(await patch(id, { secrets: rotateSecrets(current.secrets, next, clock.now(), options.graceMs ?? DEFAULT_GRACE_MS) }));
    },
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;

async function verifyEcho(url: string, http: { get(url: string): Promise<PostResult> }): Promise<void> {
  const echo = randomBytes(16).toString('hex');
  const target = new URL(url);
  target.searchParams.set('echo', echo);
  const answer = await http.get(target.href);
  if (answer.status === null) throw new SubscriptionError(`echo check of ${url} failed: ${answer.errorClass} (${answer.error})`);
  if (answer.status < 200 || answer.status > 299) throw new SubscriptionError(`echo check of ${url}: it answered ${answer.status}, not 2xx`);
  if (answer.body !== echo) throw new SubscriptionError(`echo check of ${url}: it did not answer the echo value as its body`);
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SubscriptionError(`\`${url}\` is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SubscriptionError(`\`${url}\`: webhooks are sent over http or https only, not ${parsed.protocol.slice(0, -1)}`);
  }
  return parsed.href;
}

function checkEvents(events: string[]): string[] {
  if (events.length === 0) throw new SubscriptionError('events: give at least one filter (`*` for every event)');
  for (const e of events) {
    const problem = checkEventFilter(e);
    if (problem) throw new SubscriptionError(problem);
  }
  return [...new Set(events)];
}

function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || /[\r\n]/.test(value)) throw new SubscriptionError(`header \`${name}\` is not a valid HTTP header`);
    out[name.toLowerCase()] = value;
  }
  return out;
}
