import { createPrivateKey, createPublicKey, randomUUID, sign as signAsymmetric, type KeyObject } from 'node:crypto';
import type { Provider } from '../provider.js';
import type { RuntimeSpec, SignatureScheme, TimestampRule } from '../spec/types.js';
import { parseTemplate, singleHeader, templateReads } from '../template/parse.js';
import { compileTemplate } from '../template/compile.js';
import { computeDigest, decodeKey, encodeDigest, joinParts, type DecodedKey } from '../crypto/node.js';
import { RequestContext, type WebhookRequest } from '../verify/request.js';

export interface SignOptions {
  /** The primary credential (the provider's signing secret). */
  secret?: string;
  /** Other credentials by name: for Ed25519 schemes, the private key (`whsk_…` seed or PKCS#8 PEM). */
  credentials?: Record<string, string>;
  config?: Record<string, string>;
  body: string | Uint8Array;
  method?: string;
  url?: string;
  /** Headers to send as well (Content-Type, an event-name header). */
  headers?: Record<string, string>;
  /** Signing time in ms since the epoch (default: now). */
  now?: number;
  /** The delivery id to send where the spec puts it in a header (default: a random UUID). */
  id?: string;
  /** The event name, written where the spec reads it from a header (GitHub's `x-github-event`). */
  event?: string;
  /** For schemes whose key is a certificate (PayPal): the PEM private key of that certificate. */
  privateKey?: string;
  /** Which of the spec's schemes to sign with (default: the first one the credentials allow). */
  scheme?: string;
}

export class SigningError extends Error {}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Signs a body as the provider would: the spec's scheme run in the signing direction. The result is
 * a request ready to send (or to hand to `verify`): headers carry the signature, its timestamp and
 * the delivery id wherever the spec says the provider puts them.
 */
export function signRequest(provider: Provider<object, unknown>, options: SignOptions): WebhookRequest & { headers: Record<string, string> } {
  const spec = provider.spec;
  const { primary, configDefaults } = specPlan(spec);
  const credentials: Record<string, string> = { ...options.credentials };
  if (options.secret !== undefined && primary) credentials[primary] = options.secret;
  // A certificate scheme signs with the private key of the certificate its URL serves (tests, a CA of yours).
  const keyOf = (s: SignatureScheme) => (s.key.certificate ? options.privateKey : s.key.credential && credentials[s.key.credential]);
  const scheme = pickScheme(spec.signatures, keyOf, options.scheme, spec.name);
  const plan = schemePlan(spec, scheme);
  let keyValue = keyOf(scheme)!;

  const headers: Record<string, string> = {};
  for (const name in options.headers) headers[name.toLowerCase()] = options.headers[name]!;
  let url = options.url ?? '/';
  const nowMs = options.now ?? Date.now();

  if (plan.idHeader && headers[plan.idHeader] === undefined) headers[plan.idHeader] = options.id ?? randomUUID();
  if (plan.nameHeader && options.event !== undefined && headers[plan.nameHeader] === undefined) headers[plan.nameHeader] = options.event;

  // A secret chosen by key id (Pusher): sign with `secret`, and send `id` where the spec reads it.
  if (scheme.key.select) {
    const at = keyValue.indexOf('=');
    if (at <= 0 || !plan.selectHeader) throw new SigningError(`scheme \`${scheme.name}\` picks its secret by key id: pass the secret as id=secret`);
    headers[plan.selectHeader] = keyValue.slice(0, at);
    keyValue = keyValue.slice(at + 1);
  }

  const params: Record<string, string> = {};
  if (plan.timestamp) {
    const text = formatTimestamp(nowMs, plan.timestamp.unit);
    if (plan.timestamp.kind === 'header') headers[plan.timestamp.name] = text;
    else params[plan.timestamp.name] = text;
  }

  const request = { method: options.method ?? spec.methods[0] ?? 'POST', url, headers, body: options.body };
  if (plan.certificateHeader && headers[plan.certificateHeader] === undefined) throw new SigningError(`pass the certificate URL in header \`${plan.certificateHeader}\``);
  const config = options.config ? { ...configDefaults, ...options.config } : configDefaults;
  const ctx = new RequestContext(request, config, credentials, spec);
  ctx.params = params;
  const signature = computeSignature(scheme, keyValue, ctx);

  const format = scheme.format;
  let value: string;
  if (format.list !== undefined) {
    const pair = format.pair ?? '=';
    let entries = '';
    for (const name in params) entries += `${name}${pair}${params[name]}${format.list}`;
    value = `${entries}${format.signature}${pair}${signature}`;
  } else {
    value = `${format.prefix ?? ''}${signature}`;
  }
  if (plan.signature.kind === 'header') headers[plan.signature.name] = value;
  else url += `${url.includes('?') ? '&' : '?'}${encodeURIComponent(plan.signature.name)}=${encodeURIComponent(value)}`;

  return { ...request, url };
}

/**
 * What signing needs from a spec and a scheme besides the request: where the id, the event name, the
 * key id, the timestamp and the signature go. Worked out once per scheme (a sender signs every
 * delivery with the same one), and errors in a spec that cannot be signed are raised here.
 */
interface SchemePlan {
  idHeader: string | undefined;
  nameHeader: string | undefined;
  selectHeader: string | undefined;
  timestamp: { kind: 'header' | 'param'; name: string; unit: TimestampRule['unit'] } | undefined;
  signature: { kind: 'header' | 'query'; name: string };
  certificateHeader: string | undefined;
}

const schemePlans = new WeakMap<SignatureScheme, SchemePlan>();
const specPlans = new WeakMap<RuntimeSpec, { primary: string | undefined; configDefaults: Record<string, string | undefined> }>();

function specPlan(spec: RuntimeSpec) {
  let plan = specPlans.get(spec);
  if (!plan) {
    plan = {
      primary: Object.entries(spec.credentials).find(([, c]) => c.primary)?.[0],
      configDefaults: Object.fromEntries(Object.entries(spec.config).map(([name, c]) => [name, c.default])),
    };
    specPlans.set(spec, plan);
  }
  return plan;
}

function schemePlan(spec: RuntimeSpec, scheme: SignatureScheme): SchemePlan {
  const known = schemePlans.get(scheme);
  if (known) return known;
  // Where the delivery id goes: the id header this scheme signs (svix-id for the Svix variant), else the first.
  const idHeaders = (spec.event.id ?? []).map((c) => singleHeader(c.value)).filter((h): h is string => h !== undefined);
  let timestamp: SchemePlan['timestamp'];
  if (scheme.timestamp) {
    const single = parseTemplate(scheme.timestamp.from);
    const only = single.length === 1 ? single[0] : undefined;
    if (only?.kind !== 'source' || (only.source !== 'header' && only.source !== 'param')) {
      throw new SigningError(`cannot place the timestamp \`${scheme.timestamp.from}\` of scheme \`${scheme.name}\` when signing`);
    }
    timestamp = { kind: only.source, name: only.arg, unit: scheme.timestamp.unit };
  }
  const from = parseTemplate(scheme.from);
  const target = from.length === 1 ? from[0] : undefined;
  if (target?.kind !== 'source' || (target.source !== 'header' && target.source !== 'query')) {
    throw new SigningError(`cannot place the signature \`${scheme.from}\` of scheme \`${scheme.name}\` when signing`);
  }
  const plan: SchemePlan = {
    idHeader: idHeaders.find((h) => templateReads(scheme.content, 'header', h)) ?? idHeaders[0],
    nameHeader: spec.event.name.map((c) => singleHeader(c.value)).find((h) => h !== undefined),
    selectHeader: scheme.key.select ? singleHeader(scheme.key.select) : undefined,
    timestamp,
    signature: { kind: target.source, name: target.arg },
    certificateHeader: scheme.key.certificate ? singleHeader(scheme.key.certificate.url) : undefined,
  };
  schemePlans.set(scheme, plan);
  return plan;
}

function pickScheme(
  schemes: readonly SignatureScheme[],
  keyOf: (scheme: SignatureScheme) => string | undefined,
  wanted: string | undefined,
  providerName: string,
): SignatureScheme {
  if (wanted !== undefined) {
    const scheme = schemes.find((s) => s.name === wanted);
    if (!scheme) throw new SigningError(`${providerName} has no scheme \`${wanted}\`; it has ${schemes.map((s) => s.name).join(', ')}`);
    if (!keyOf(scheme)) throw new SigningError(`scheme \`${wanted}\` needs ${scheme.key.certificate ? '`privateKey`' : `credential \`${scheme.key.credential}\``}`);
    return scheme;
  }
  const scheme = schemes.find((s) => keyOf(s));
  if (!scheme) {
    const needsPrivateKey = schemes.some((s) => s.key.certificate);
    throw new SigningError(`no key given to sign as ${providerName}; pass ${needsPrivateKey ? '`privateKey` (the PEM key of the certificate its URL serves)' : '`secret`'}`);
  }
  return scheme;
}

function computeSignature(scheme: SignatureScheme, keyValue: string, ctx: RequestContext): string {
  if (scheme.algorithm === 'token') {
    if (scheme.content === undefined) return keyValue;
    const token = compileTemplate(scheme.content).text(ctx);
    if (token === undefined) throw new SigningError(`the token of scheme \`${scheme.name}\` cannot be derived from this request`);
    return token;
  }
  const rendered = compileTemplate(scheme.content!).render(ctx);
  if (!rendered.parts) throw new SigningError(`the signed content of scheme \`${scheme.name}\` needs ${rendered.missing}`);
  if (scheme.algorithm === 'ed25519' || scheme.algorithm.startsWith('rsa-') || scheme.algorithm.startsWith('ecdsa-')) {
    const data = joinParts(rendered.parts);
    const hash = scheme.algorithm === 'ed25519' ? null : scheme.algorithm === 'rsa-sha1' ? 'sha1' : 'sha256';
    const key = cached(privateKeys, `${scheme.algorithm}:${keyValue}`, () => privateKey(keyValue, scheme));
    return encodeDigest(signAsymmetric(hash, data, key), scheme.encoding);
  }
  const key = cached(secretKeys, `${scheme.key.decode}:${scheme.algorithm}:${keyValue}`, () => decodeKey(keyValue, scheme.key.decode, scheme.algorithm));
  if (key.kind !== 'secret') throw new SigningError(`scheme \`${scheme.name}\` has no secret key to sign with`);
  return encodeDigest(computeDigest(scheme.algorithm, key.bytes, rendered.parts), scheme.encoding);
}

/**
 * Decoded keys by their text: a sender signs every delivery of a subscription with the same secret,
 * and decoding (base64, and for private keys building a KeyObject) cost more than the MAC itself.
 * Bounded, so a process signing with ever new secrets (tests, a CLI loop) does not grow without end.
 */
const secretKeys = new Map<string, DecodedKey>();
const privateKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 1024;

function cached<T>(cache: Map<string, T>, id: string, make: () => T): T {
  let value = cache.get(id);
  if (value === undefined) {
    value = make();
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    cache.set(id, value);
  }
  return value;
}

function privateKey(value: string, scheme: SignatureScheme): KeyObject {
  if (value.includes('-----BEGIN')) return createPrivateKey(value);
  if (scheme.algorithm === 'ed25519') {
    if (value.startsWith('whpk_')) throw new SigningError(`scheme \`${scheme.name}\` signs with the private key (\`whsk_…\`), not the public key (\`whpk_…\`)`);
    const raw = Buffer.from(value.replace(/^whsk_/, ''), 'base64');
    if (raw.length !== 32 && raw.length !== 64) {
      throw new SigningError(`an Ed25519 signing key is a PKCS#8 PEM, or \`whsk_\` + base64 of a 32-byte seed; this one decodes to ${raw.length} bytes`);
    }
    // 64 bytes: the seed followed by its public key, as libsodium and ed25519-compact store a secret key.
    const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
    if (raw.length === 64 && !createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12).equals(raw.subarray(32))) {
      throw new SigningError('this 64-byte Ed25519 key is not a seed followed by its own public key');
    }
    return key;
  }
  return createPrivateKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'pkcs8' });
}

function formatTimestamp(nowMs: number, unit: TimestampRule['unit']): string {
  if (unit === 'ms') return String(Math.floor(nowMs));
  if (unit === 'iso8601') return new Date(nowMs).toISOString();
  return String(Math.floor(nowMs / 1000));
}
