import { compileTemplate, toText, type CompiledTemplate } from '../template/compile.js';
import { BUILTINS, type Fetch } from './builtins/index.js';
import { parseTemplate, templateReads, templateSources } from '../template/parse.js';
import type { CertificateRule, SignatureScheme } from '../spec/types.js';
import { ASYMMETRIC, DIGEST_LENGTH, decodeDigest, decodeKey, equalBytes, macMatches, signatureMatches, utf8Bytes, type DecodedKey } from '#crypto';
import type { CertificateKeySource } from '../crypto/contract.js';
import { reject, type Rejection } from './errors.js';
import type { RequestContext } from './request.js';
import { parseSignatureHeader } from './signature-header.js';
import { checkTimestamp, parseTimestamp } from './timestamp.js';

interface CompiledScheme {
  scheme: SignatureScheme;
  from: CompiledTemplate;
  content: CompiledTemplate | undefined;
  timestamp: CompiledTemplate | undefined;
  /** One key per configured value of the credential (several during a rotation). */
  keys: DecodedKey[];
  values: readonly string[];
  /** A built-in verifier (a call to the provider's API), run before the signatures are checked. */
  builtin: { name: string; params: Array<[string, CompiledTemplate]> } | undefined;
  /** The key is in a certificate the request names: fetched before the signatures are checked. */
  certificate: { rule: CertificateRule; url: CompiledTemplate } | undefined;
  /** With key.select: the keys by id (`app-key` → its secrets), and the template that reads the id. */
  selected: { by: CompiledTemplate; keys: Map<string, { keys: DecodedKey[]; values: string[] }> } | undefined;
  /** The signed content contains the credential itself (plain-hash schemes): render it once per key. */
  contentReadsKey: boolean;
  /** Headers the scheme reads, checked for repetition before anything is trusted. */
  headers: string[];
  expectedLength: number | undefined;
}

const MAX_CANDIDATES = 16;

export type SignatureOutcome = { ok: true; scheme: string } | Rejection;

/** Turns a credential value (one, or several during a rotation) into decoded keys. */
export type CredentialValues = Record<string, readonly string[]>;

export class CredentialError extends Error {}

/**
 * Compiles the spec's alternative signature schemes with the receiver's credentials. A scheme whose
 * credential was not given is left out, so a receiver configured with only an HMAC secret ignores
 * an Ed25519 signature instead of failing on it.
 */
export function compileSignatures(schemes: readonly SignatureScheme[], credentials: CredentialValues): CompiledScheme[] {
  const compiled: CompiledScheme[] = [];
  for (const scheme of schemes) {
    if (scheme.key.certificate) {
      compiled.push({ ...compileCommon(scheme), keys: [], values: [], selected: undefined, builtin: undefined, certificate: { rule: scheme.key.certificate, url: compileTemplate(scheme.key.certificate.url) } });
      continue;
    }
    if (scheme.builtin) {
      // Applies only when its credential is configured (the API credentials a postback needs).
      if (!(credentials[scheme.key.credential!] ?? []).length) continue;
      const params = Object.entries(scheme.builtin.with).map(([name, template]) => [name, compileTemplate(template)] as [string, CompiledTemplate]);
      compiled.push({ ...compileCommon(scheme), keys: [], values: [], selected: undefined, certificate: undefined, builtin: { name: scheme.builtin.name, params } });
      continue;
    }
    const credential = scheme.key.credential!;
    const configured = credentials[credential] ?? [];
    if (configured.length === 0) continue;
    // With key.select each value is `id=secret`; the secret part is what decodes.
    const entries = configured.map((value) => {
      if (!scheme.key.select) return { id: undefined, value };
      const at = value.indexOf('=');
      if (at <= 0 || at === value.length - 1) throw new CredentialError(`credential \`${credential}\` of scheme \`${scheme.name}\` takes id=secret entries (one per key id)`);
      return { id: value.slice(0, at), value: value.slice(at + 1) };
    });
    const values = entries.map((e) => e.value);
    const keys = values.map((value, i) => {
      const which = values.length > 1 ? ` (value ${i + 1} of ${values.length})` : '';
      let key: DecodedKey;
      try {
        key = decodeKey(value, scheme.key.decode, scheme.algorithm);
      } catch (error) {
        throw new CredentialError(`credential \`${credential}\`${which} ${(error as Error).message}; scheme \`${scheme.name}\` needs ${scheme.key.decode}`);
      }
      // A secret where a public key belongs (or the reverse) is a broken spec: refuse it, never guess.
      if ((key.kind === 'public') !== ASYMMETRIC.has(scheme.algorithm)) {
        throw new CredentialError(`scheme \`${scheme.name}\` (${scheme.algorithm}) cannot use a ${key.kind} key decoded as ${scheme.key.decode}`);
      }
      return key;
    });
    let selected: CompiledScheme['selected'];
    if (scheme.key.select) {
      const byId = new Map<string, { keys: DecodedKey[]; values: string[] }>();
      entries.forEach((e, i) => {
        const slot = byId.get(e.id!) ?? { keys: [], values: [] };
        slot.keys.push(keys[i]!);
        slot.values.push(e.value);
        byId.set(e.id!, slot);
      });
      selected = { by: compileTemplate(scheme.key.select), keys: byId };
    }
    compiled.push({ ...compileCommon(scheme), selected, keys, values, certificate: undefined, builtin: undefined });
  }
  return compiled;
}

/** What every scheme compiles the same way, whatever its key. */
function compileCommon(scheme: SignatureScheme) {
  const contentReadsKey = scheme.key.credential !== undefined && templateReads(scheme.content, 'credential', scheme.key.credential);
  const templates = [scheme.from, scheme.timestamp?.from].filter((t): t is string => t !== undefined);
  const headers = [...new Set(templates.flatMap((t) => templateSources(parseTemplate(t))).filter((s) => s.source === 'header').map((s) => s.arg))];
  return {
    scheme,
    from: compileTemplate(scheme.from),
    content: scheme.content === undefined ? undefined : compileTemplate(scheme.content),
    timestamp: scheme.timestamp && compileTemplate(scheme.timestamp.from),
    contentReadsKey,
    headers,
    expectedLength: DIGEST_LENGTH[scheme.algorithm],
  };
}

/** Schemes that need the network first (a certificate, a built-in call); only they make verification asynchronous. */
export function remoteSchemes(schemes: readonly CompiledScheme[]): CompiledScheme[] {
  return schemes.filter((s) => s.certificate || s.builtin);
}

/** Runs the built-in verifiers that apply to the request, so that `verifySignatures` stays synchronous. */
export async function runBuiltins(schemes: readonly CompiledScheme[], ctx: RequestContext, nowMs: number, fetch: Fetch): Promise<void> {
  for (const compiled of schemes) {
    if (!compiled.builtin || compiled.from.text(ctx) === undefined) continue;
    const params: Record<string, string> = {};
    let missing: string | undefined;
    for (const [name, template] of compiled.builtin.params) {
      const value = template.text(ctx);
      if (value === undefined) missing ??= `${name} (${template.label})`;
      else params[name] = value;
    }
    const outcome = missing
      ? reject('malformed_signature', `built-in verifier \`${compiled.builtin.name}\` needs ${missing}`)
      : await BUILTINS[compiled.builtin.name]!(params, toText(ctx.body()), fetch, nowMs);
    (ctx.builtinOutcomes ??= new Map()).set(compiled.scheme.name, outcome);
  }
}

/**
 * Downloads (or takes from the cache) the certificate keys the request names, so that
 * `verifySignatures` stays synchronous. A scheme whose signature is absent fetches nothing.
 */
export async function fetchCertificateKeys(
  schemes: readonly CompiledScheme[],
  ctx: RequestContext,
  nowMs: number,
  keys: CertificateKeySource,
): Promise<void> {
  for (const compiled of schemes) {
    if (!compiled.certificate || compiled.from.text(ctx) === undefined) continue;
    const url = compiled.certificate.url.text(ctx);
    const key = url === undefined ? reject('untrusted_key', `the certificate URL ${compiled.certificate.url.label} is missing`) : await keys.key(compiled.certificate.rule, url, nowMs);
    (ctx.certificateKeys ??= new Map()).set(compiled.scheme.name, key);
  }
}

/** The headers any configured scheme reads: where a signature would be, for "missing" messages. */
export function signatureLocations(schemes: readonly CompiledScheme[]): string {
  return [...new Set(schemes.map((s) => s.from.label))].join(' or ');
}

/**
 * Checks the request against the schemes that apply to it (their signature is present). It passes
 * when any candidate signature of any applicable scheme matches under any key; the timestamp is
 * judged only once a signature matched, so a forged request never learns about the clock.
 * Synchronous where the platform's crypto is (node:crypto); a promise where it is not (Web Crypto).
 */
export function verifySignatures(schemes: readonly CompiledScheme[], ctx: RequestContext, nowMs: number): SignatureOutcome | Promise<SignatureOutcome> {
  return verifyFrom(schemes, ctx, nowMs, 0, undefined, 0);
}

/**
 * The schemes from `start` on, in order, carrying the first problem met and the comparisons tried so
 * far; an asynchronous match resumes the loop after it settles.
 */
function verifyFrom(
  schemes: readonly CompiledScheme[],
  ctx: RequestContext,
  nowMs: number,
  start: number,
  firstProblem: Rejection | undefined,
  tried: number,
): SignatureOutcome | Promise<SignatureOutcome> {
  for (let i = start; i < schemes.length; i++) {
    const compiled = schemes[i]!;
    for (const header of compiled.headers) {
      const count = ctx.headerCount(header);
      if (count > 1) return reject('duplicate_header', `header \`${header}\` appears ${count} times; a webhook carries it once`);
    }
    const value = compiled.from.text(ctx);
    if (value === undefined) continue;
    const { scheme } = compiled;
    const parsed = parseSignatureHeader(value, scheme.format);
    if (parsed.error || parsed.candidates.length === 0) {
      firstProblem ??= reject(
        'malformed_signature',
        parsed.error
          ? `signature ${compiled.from.label} ${parsed.error}`
          : `signature ${compiled.from.label} has no \`${scheme.format.signature}\` entry`,
      );
      continue;
    }
    // Senders put one signature per secret they sign with (two during a roll); hundreds are an attack
    // on our CPU, not a delivery, above all for public-key schemes.
    if (parsed.candidates.length > MAX_CANDIDATES) {
      firstProblem ??= reject('malformed_signature', `signature ${compiled.from.label} has ${parsed.candidates.length} entries; at most ${MAX_CANDIDATES} are checked`);
      continue;
    }
    ctx.params = parsed.params;

    let timestampMs: number | undefined;
    if (compiled.timestamp && scheme.timestamp) {
      const text = compiled.timestamp.text(ctx);
      if (text === undefined) return reject('missing_timestamp', `timestamp ${compiled.timestamp.label} is missing`);
      timestampMs = parseTimestamp(text.trim(), scheme.timestamp.unit);
      if (timestampMs === undefined) {
        return reject('malformed_timestamp', `timestamp ${compiled.timestamp.label} is not ${describeUnit(scheme.timestamp.unit)}`);
      }
    }

    const matched = matchAny(compiled, ctx, parsed.candidates);
    if (typeof matched === 'object' && !(matched instanceof Promise)) {
      // This scheme could not be checked (unreadable signature, content it needs is absent): try the others.
      firstProblem ??= matched;
      continue;
    }
    tried += parsed.candidates.length * Math.max(1, compiled.keys.length);
    if (matched instanceof Promise) {
      return matched.then((ok) => (ok ? accept(compiled, timestampMs, nowMs) : verifyFrom(schemes, ctx, nowMs, i + 1, firstProblem, tried)));
    }
    if (matched) return accept(compiled, timestampMs, nowMs);
  }
  if (tried > 0) {
    return reject(
      'signature_mismatch',
      `no signature matches: ${tried} comparison(s) of ${signatureLocations(schemes)} against the body and the configured secret(s) failed. ` +
        'Verify the exact raw bytes received (not JSON parsed and serialised again), and check that the secret is this endpoint\'s.',
    );
  }
  return firstProblem ?? reject('missing_signature', `no signature: expected ${signatureLocations(schemes)}`);
}

function accept(compiled: CompiledScheme, timestampMs: number | undefined, nowMs: number): SignatureOutcome {
  const { scheme } = compiled;
  if (timestampMs !== undefined && scheme.timestamp) {
    const stale = checkTimestamp(timestampMs, nowMs, scheme.timestamp, `timestamp ${compiled.timestamp!.label}`);
    if (stale) return stale;
  }
  return { ok: true, scheme: scheme.name };
}

function matchAny(compiled: CompiledScheme, ctx: RequestContext, candidates: string[]): boolean | Rejection | Promise<boolean> {
  const { scheme } = compiled;
  let { keys, values } = compiled;
  if (compiled.builtin) return ctx.builtinOutcomes?.get(scheme.name) ?? reject('untrusted_key', `built-in verifier \`${compiled.builtin.name}\` did not run`);
  if (compiled.certificate) {
    const fetched = ctx.certificateKeys?.get(scheme.name);
    if (!fetched) return reject('untrusted_key', `the certificate key of scheme \`${scheme.name}\` was not fetched`);
    if ('reason' in fetched) return fetched;
    keys = [{ kind: 'public', key: fetched }];
    values = [''];
  }
  if (compiled.selected) {
    const id = compiled.selected.by.text(ctx);
    if (id === undefined) return reject('unknown_key', `the key id ${compiled.selected.by.label} is missing`);
    const slot = compiled.selected.keys.get(id);
    if (!slot) return reject('unknown_key', `no secret is configured for key id \`${id}\` (${compiled.selected.by.label})`);
    ({ keys, values } = slot);
  }
  if (scheme.algorithm === 'token') {
    // The expected token is the credential, or `content` when the spec derives it (a truncated org id).
    for (const [i, key] of keys.entries()) {
      let expected = key.kind === 'secret' ? key.bytes : undefined;
      if (compiled.content) {
        ctx.credentialOverride = { name: scheme.key.credential!, value: values[i]! };
        const text = compiled.content.text(ctx);
        ctx.credentialOverride = undefined;
        expected = text === undefined ? undefined : utf8Bytes(text);
      }
      if (!expected) continue;
      for (const candidate of candidates) if (equalBytes(utf8Bytes(candidate), expected)) return true;
    }
    return false;
  }
  const decoded: Uint8Array[] = [];
  let readable = 0;
  for (const candidate of candidates) {
    const bytes = decodeDigest(candidate, scheme.encoding);
    if (bytes) readable += 1;
    // A wrong length is a wrong signature, compared no further (the length of a MAC is public).
    if (bytes && (compiled.expectedLength === undefined || bytes.length === compiled.expectedLength)) decoded.push(bytes);
  }
  if (readable === 0) return reject('malformed_signature', `signature ${compiled.from.label} is not ${scheme.encoding}`);
  if (decoded.length === 0) return false;
  let rendered = compiled.contentReadsKey ? undefined : compiled.content!.render(ctx);
  // Rendering reads the request and must happen now; only the crypto may settle later (Web Crypto).
  const pending: Promise<boolean>[] = [];
  for (const [i, key] of keys.entries()) {
    if (compiled.contentReadsKey) {
      ctx.credentialOverride = { name: scheme.key.credential!, value: values[i]! };
      rendered = compiled.content!.render(ctx);
      ctx.credentialOverride = undefined;
    }
    if (!rendered!.parts) return reject('malformed_signature', `the signed content needs ${rendered!.missing}, which the request lacks`);
    const matched = key.kind === 'secret' ? macMatches(scheme.algorithm, key, rendered!.parts, decoded) : signatureMatches(scheme.algorithm, key, rendered!.parts, decoded);
    if (matched === true) return true;
    if (matched !== false) pending.push(matched);
  }
  return pending.length === 0 ? false : Promise.all(pending).then((results) => results.includes(true));
}

function describeUnit(unit: 's' | 'ms' | 'iso8601'): string {
  return unit === 's' ? 'unix seconds' : unit === 'ms' ? 'unix milliseconds' : 'an ISO 8601 date-time';
}
