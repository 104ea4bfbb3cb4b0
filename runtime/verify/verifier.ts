import type { RuntimeSpec } from '../spec/types.js';
import { compileEventRule, type WebhookEvent } from './event.js';
import { reject, type Rejection } from './errors.js';
import { compileHandshake, compileResponse, type WebhookResponse } from './handshake.js';
import { isBytes, RequestContext, type WebhookRequest } from './request.js';
import { compileSignatures, CredentialError, fetchCertificateKeys, remoteSchemes, runBuiltins, verifySignatures, type CredentialValues, type SignatureOutcome } from './signatures.js';
import type { Fetch } from './builtins/index.js';
import { CertificateKeys, utf8Length } from '#crypto';
import type { CertificateOptions } from '../crypto/contract.js';

export interface VerifierOptions {
  /**
   * The provider's primary credential (its signing secret); several values during a rotation; or,
   * for providers that pick the secret by a key id (Pusher), an object of key id → secret.
   */
  secret?: CredentialValue;
  /** Other named credentials (a public key, a second secret), by the names the spec declares. */
  credentials?: Record<string, CredentialValue | undefined>;
  /** The provider's named settings (the callback URL as registered, an org id …). */
  config?: Record<string, string | undefined>;
  /** The clock, in milliseconds since the epoch; inject it in tests. */
  now?: () => number;
  /** Largest body accepted, in bytes (default 25 MiB, GitHub's cap; 1 MiB for XML providers). Larger ones get 413. */
  maxBodyBytes?: number;
  /** For providers whose key is a certificate the request names (PayPal): download and trust. */
  certificates?: CertificateOptions;
  /** How built-in verifiers call the provider's API (PayPal's postback); default: the global fetch. */
  fetch?: Fetch;
}

/** An accepted request: one event, or (fan-out providers: Pusher, ASP.NET custom) a list of them. */
export type Accepted<E = WebhookEvent> =
  | { ok: true; kind: 'event'; event: E; response: WebhookResponse }
  | { ok: true; kind: 'events'; events: E[]; response: WebhookResponse };
/** A handshake to answer with `response`; `authenticated` says whether its signature was checked. */
export type HandshakeAnswer = { ok: true; kind: 'handshake'; handshake: string; authenticated: boolean; response: WebhookResponse };
export type VerifyResult<E = WebhookEvent> = Accepted<E> | HandshakeAnswer | Rejection;

export type CredentialValue = string | readonly string[] | Readonly<Record<string, string>>;

/** One value, a rotation list, or id → secret pairs as `id=secret` entries. */
function credentialList(value: CredentialValue): readonly string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value as readonly string[];
  return Object.entries(value as Record<string, string>).map(([id, secret]) => `${id}=${secret}`);
}

export const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024;
/** Salesforce sends at most 100 notifications a message; 1 MiB is far above that. */
export const DEFAULT_MAX_XML_BODY_BYTES = 1024 * 1024;

/** Synchronous unless a scheme needs the network (a certificate named by the request, a built-in call). */
export type Verifier = (request: WebhookRequest) => VerifyResult | Promise<VerifyResult>;

/**
 * Compiles a spec with a receiver's options into one function. Everything that depends only on the
 * spec and the options (templates, decoded keys, handshake matchers) is done here, once.
 */
export function compileVerifier(spec: RuntimeSpec, options: VerifierOptions): Verifier {
  const credentials = collectCredentials(spec, options);
  const config = collectConfig(spec, options);
  const schemes = compileSignatures(spec.signatures, credentials);
  if (schemes.length === 0) {
    const names = [...new Set(spec.signatures.flatMap((s) => (s.key.credential ? [s.key.credential] : [])))].map((n) => `\`${n}\``).join(' or ');
    const primary = Object.entries(spec.credentials).find(([, c]) => c.primary)?.[0] ?? 'primary credential';
    throw new CredentialError(`${spec.name} receiver: no credential configured; pass \`secret\` (its \`${primary}\`) or \`credentials\` (${names})`);
  }
  const credentialText: Record<string, string | undefined> = Object.fromEntries(Object.entries(credentials).map(([k, v]) => [k, v[0]]));
  const handshakes = spec.handshakes.map(compileHandshake);
  const openHandshakes = handshakes.filter((h) => !h.authenticate);
  const signedHandshakes = handshakes.filter((h) => h.authenticate);
  const events = compileEventRule(spec.event, spec.signatures);
  const success = compileResponse(spec.success);
  const methods = new Set(spec.methods);
  // Authenticated handshakes may use other methods (a signed GET challenge): let those through to them.
  const handshakeMethods = new Set(signedHandshakes.flatMap((h) => h.methods ?? []));
  const notAllowed = (method: string, authenticated: boolean) =>
    reject('method_not_allowed', `${spec.name} webhooks are ${[...methods].join(' or ')} requests; got ${method}`, authenticated);
  // XML is parsed whole before anything is checked (the org id is inside it): a tighter default.
  const maxBodyBytes = options.maxBodyBytes ?? (spec.content.includes('xml') ? DEFAULT_MAX_XML_BODY_BYTES : DEFAULT_MAX_BODY_BYTES);
  const remote = remoteSchemes(schemes);
  const certificates = remote.some((s) => s.certificate) ? new CertificateKeys(options.certificates) : undefined;
  const fetch = options.fetch ?? (globalThis.fetch as unknown as Fetch);
  const readEvent = (ctx: RequestContext, payload: unknown, scheme: string): WebhookEvent | undefined => {
    const name = events.name(ctx);
    if (!name) return undefined;
    const action = events.action(ctx);
    return { key: action ? `${name}.${action}` : name, name, action, id: events.id(ctx, scheme), payload, provider: spec.id, scheme };
  };
  const now = options.now ?? Date.now;

  return (request) => {
    const bodyProblem = checkBody(request, maxBodyBytes);
    if (bodyProblem) return bodyProblem;
    const ctx = new RequestContext(request, config, credentialText, spec);

    for (const handshake of openHandshakes) {
      if (handshake.matches(ctx)) return { ok: true, kind: 'handshake', handshake: handshake.name, authenticated: false, response: handshake.respond(ctx) };
    }
    const method = ctx.method();
    if (!methods.has(method) && !handshakeMethods.has(method)) return notAllowed(method, false);
    const nowMs = now();
    if (remote.length === 0) return finish(ctx, method, nowMs);
    const pending = certificates ? fetchCertificateKeys(remote, ctx, nowMs, certificates) : Promise.resolve();
    return pending.then(() => runBuiltins(remote, ctx, nowMs, fetch)).then(() => finish(ctx, method, nowMs));
  };

  function finish(ctx: RequestContext, method: string, nowMs: number): VerifyResult | Promise<VerifyResult> {
    const signature = verifySignatures(schemes, ctx, nowMs);
    return signature instanceof Promise ? signature.then((outcome) => afterSignature(ctx, method, outcome)) : afterSignature(ctx, method, signature);
  }

  function afterSignature(ctx: RequestContext, method: string, signature: SignatureOutcome): VerifyResult {
    if (!signature.ok) return signature;

    for (const handshake of signedHandshakes) {
      if (handshake.matches(ctx)) return { ok: true, kind: 'handshake', handshake: handshake.name, authenticated: true, response: handshake.respond(ctx) };
    }
    if (!methods.has(method)) return notAllowed(method, true);

    const kind = ctx.contentKind();
    if (kind !== undefined && (kind === 'unknown' || !spec.content.includes(kind))) {
      return reject(
        'unsupported_content_type',
        `signature valid, but ${spec.name} sends ${spec.content.join(' or ')} bodies, not Content-Type \`${ctx.header('content-type')}\``,
        true,
      );
    }
    const parsed = ctx.parse();
    if (!parsed) return reject('invalid_body', `signature valid, but the body could not be parsed: ${ctx.bodyError()}`, true);
    const items = events.items(ctx);
    if (items === 'missing') return reject('missing_event_name', `signature valid, but the body has no \`${spec.event.each}\` to read events from`, true);
    if (items) {
      // One request, several events: each element is read as its own event; a nameless one is refused.
      const batch: WebhookEvent[] = [];
      for (const item of items) {
        ctx.currentItem = item;
        const event = readEvent(ctx, item, signature.scheme);
        if (!event) return reject('missing_event_name', `signature valid, but element ${batch.length} of \`${spec.event.each}\` has no event name (looked at ${events.describeName()})`, true);
        batch.push({ ...event, envelope: parsed.document });
      }
      ctx.currentItem = undefined;
      return { ok: true, kind: 'events', events: batch, response: success(ctx) };
    }
    const event = readEvent(ctx, parsed.document, signature.scheme);
    if (!event) return reject('missing_event_name', `signature valid, but no event name was found (looked at ${events.describeName()})`, true);
    return { ok: true, kind: 'event', event, response: success(ctx) };
  }
}

function checkBody(request: WebhookRequest, maxBodyBytes: number): Rejection | undefined {
  const body: unknown = request.body;
  if (typeof body === 'string') {
    if (body.length > maxBodyBytes || (body.length * 3 > maxBodyBytes && utf8Length(body) > maxBodyBytes)) {
      return reject('body_too_large', `body is larger than the limit of ${maxBodyBytes} bytes`);
    }
    return undefined;
  }
  if (isBytes(body)) {
    if (body.byteLength > maxBodyBytes) return reject('body_too_large', `body is ${body.byteLength} bytes; the limit is ${maxBodyBytes}`);
    return undefined;
  }
  const got = body === null ? 'null' : body === undefined ? 'undefined' : Array.isArray(body) ? 'an array' : typeof body === 'object' ? 'an already parsed object' : typeof body;
  return reject(
    'body_not_raw',
    `the body must be the raw bytes received (string or Uint8Array); got ${got}. A body parser ran before hookgen: ` +
      'in Express mount the receiver before express.json() (or use express.raw({ type: "*/*" }) on its route); ' +
      'in Next.js Pages set `export const config = { api: { bodyParser: false } }`.',
  );
}

function collectCredentials(spec: RuntimeSpec, options: VerifierOptions): CredentialValues {
  const out: Record<string, readonly string[]> = {};
  const primary = Object.entries(spec.credentials).find(([, c]) => c.primary)?.[0];
  for (const [name, value] of Object.entries(options.credentials ?? {})) {
    if (!(name in spec.credentials)) throw new CredentialError(`${spec.name} has no credential \`${name}\`; it has ${Object.keys(spec.credentials).join(', ')}`);
    if (value !== undefined) out[name] = credentialList(value);
  }
  if (options.secret !== undefined && primary) out[primary] = credentialList(options.secret);
  for (const [name, credential] of Object.entries(spec.credentials)) {
    if (!credential.optional && out[name] === undefined) {
      throw new CredentialError(`${spec.name} receiver needs credential \`${name}\`${credential.primary ? ' (the `secret` option)' : ''}${credential.env ? `, usually kept in ${credential.env}` : ''}`);
    }
  }
  for (const [name, values] of Object.entries(out)) {
    if (values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) {
      throw new CredentialError(`credential \`${name}\` of ${spec.name} is empty; it must be a non-empty string or a list of them`);
    }
  }
  return out;
}

function collectConfig(spec: RuntimeSpec, options: VerifierOptions): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, setting] of Object.entries(spec.config)) {
    // An empty setting is no setting: an empty verify token must not match an empty query value.
    const given = options.config?.[name];
    const value = given === undefined || given === '' ? setting.default : given;
    if (value === undefined && setting.required) throw new CredentialError(`${spec.name} receiver needs config \`${name}\`: ${setting.description ?? ''}`.trim());
    out[name] = value;
  }
  for (const name of Object.keys(options.config ?? {})) {
    if (!(name in spec.config)) throw new CredentialError(`${spec.name} has no config \`${name}\`; it has ${Object.keys(spec.config).join(', ') || 'none'}`);
  }
  return out;
}
