import { createPrivateKey, createPublicKey, randomUUID, sign as signAsymmetric, type KeyObject } from 'node:crypto';
import type { Provider } from '../provider.js';
import type { SignatureScheme, TimestampRule } from '../spec/types.js';
import { parseTemplate, singleHeader, templateReads } from '../template/parse.js';
import { compileTemplate } from '../template/compile.js';
import { computeDigest, decodeKey, encodeDigest, joinParts } from '../crypto/node.js';
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
  const primary = Object.entries(spec.credentials).find(([, c]) => c.primary)?.[0];
  const credentials: Record<string, string> = { ...options.credentials };
  if (options.secret !== undefined && primary) credentials[primary] = options.secret;
  // A certificate scheme signs with the private key of the certificate its URL serves (tests, a CA of yours).
  const keyOf = (s: SignatureScheme) => (s.key.certificate ? options.privateKey : s.key.credential && credentials[s.key.credential]);
  const scheme = pickScheme(spec.signatures, keyOf, options.scheme, spec.name);
  let keyValue = keyOf(scheme)!;

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  let url = options.url ?? '/';
  const nowMs = options.now ?? Date.now();

  // Where the delivery id goes: the id header this scheme signs (svix-id for the Svix variant), else the first.
  const idHeaders = (spec.event.id ?? []).map((c) => singleHeader(c.value)).filter((h): h is string => h !== undefined);
  const idHeader = idHeaders.find((h) => templateReads(scheme.content, 'header', h)) ?? idHeaders[0];
  if (idHeader && headers[idHeader] === undefined) headers[idHeader] = options.id ?? randomUUID();
  const nameHeader = spec.event.name.map((c) => singleHeader(c.value)).find((h) => h !== undefined);
  if (nameHeader && options.event !== undefined && headers[nameHeader] === undefined) headers[nameHeader] = options.event;

  // A secret chosen by key id (Pusher): sign with `secret`, and send `id` where the spec reads it.
  if (scheme.key.select) {
    const at = keyValue.indexOf('=');
    const selectHeader = singleHeader(scheme.key.select);
    if (at <= 0 || !selectHeader) throw new SigningError(`scheme \`${scheme.name}\` picks its secret by key id: pass the secret as id=secret`);
    headers[selectHeader] = keyValue.slice(0, at);
    keyValue = keyValue.slice(at + 1);
  }

  const params: Record<string, string> = {};
  if (scheme.timestamp) {
    const text = formatTimestamp(nowMs, scheme.timestamp.unit);
    const single = parseTemplate(scheme.timestamp.from);
    const only = single.length === 1 ? single[0] : undefined;
    if (only?.kind === 'source' && only.source === 'header') headers[only.arg] = text;
    else if (only?.kind === 'source' && only.source === 'param') params[only.arg] = text;
    else throw new SigningError(`cannot place the timestamp \`${scheme.timestamp.from}\` of scheme \`${scheme.name}\` when signing`);
  }

  const request = { method: options.method ?? spec.methods[0] ?? 'POST', url, headers, body: options.body };
  if (scheme.key.certificate) {
    const certificateHeader = singleHeader(scheme.key.certificate.url);
    if (certificateHeader && headers[certificateHeader] === undefined) throw new SigningError(`pass the certificate URL in header \`${certificateHeader}\``);
  }
  const config = { ...Object.fromEntries(Object.entries(spec.config).map(([name, c]) => [name, c.default])), ...options.config };
  const ctx = new RequestContext(request, config, credentials, spec);
  ctx.params = params;
  const signature = computeSignature(scheme, keyValue, ctx);

  const format = scheme.format;
  let value: string;
  if (format.list !== undefined) {
    const pair = format.pair ?? '=';
    const entries = Object.entries(params).map(([k, v]) => `${k}${pair}${v}`);
    entries.push(`${format.signature}${pair}${signature}`);
    value = entries.join(format.list);
  } else {
    value = `${format.prefix ?? ''}${signature}`;
  }
  const from = parseTemplate(scheme.from);
  const target = from.length === 1 ? from[0] : undefined;
  if (target?.kind === 'source' && target.source === 'header') headers[target.arg] = value;
  else if (target?.kind === 'source' && target.source === 'query') url += `${url.includes('?') ? '&' : '?'}${encodeURIComponent(target.arg)}=${encodeURIComponent(value)}`;
  else throw new SigningError(`cannot place the signature \`${scheme.from}\` of scheme \`${scheme.name}\` when signing`);

  return { ...request, url };
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
    return encodeDigest(signAsymmetric(hash, data, privateKey(keyValue, scheme)), scheme.encoding);
  }
  const key = decodeKey(keyValue, scheme.key.decode, scheme.algorithm);
  if (key.kind !== 'secret') throw new SigningError(`scheme \`${scheme.name}\` has no secret key to sign with`);
  return encodeDigest(computeDigest(scheme.algorithm, key.bytes, rendered.parts), scheme.encoding);
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
