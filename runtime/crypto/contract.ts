import type { Algorithm, CertificateRule, DigestEncoding, KeyDecoding } from '../spec/types.js';
import type { Value } from '../template/compile.js';
import type { Rejection } from '../verify/errors.js';

/**
 * What the receiving runtime needs from the platform: crypto and byte encodings. Two modules implement
 * it, `node.ts` (node:crypto and Buffer) and `web.ts` (Web Crypto and web-standard text APIs); the
 * runtime imports `#crypto`, which package.json's `imports` conditions resolve to one of them, so the
 * choice is made once by the module resolver, never by a check on the hot path.
 *
 * Checks a runtime cannot do synchronously (Web Crypto is promise-based) return a promise; node's
 * return plain values, so verification on Node stays synchronous.
 */
export interface CryptoModule {
  /** Which implementation the resolver chose, for diagnostics and tests. */
  readonly platform: 'node' | 'web';
  decodeKey(value: string, decode: KeyDecoding, algorithm: Algorithm): DecodedKey;
  /** A signature candidate's bytes; undefined unless it is the canonical spelling in that encoding. */
  decodeDigest(text: string, encoding: DigestEncoding): Uint8Array | undefined;
  /** True when a candidate equals the MAC (or keyless SHA-256) of the joined parts. */
  macMatches(algorithm: Algorithm, key: SecretKey, parts: readonly Value[], candidates: readonly Uint8Array[]): boolean | Promise<boolean>;
  /** True when a candidate is a valid public-key signature of the joined parts. */
  signatureMatches(algorithm: Algorithm, key: PublicKey, parts: readonly Value[], candidates: readonly Uint8Array[]): boolean | Promise<boolean>;
  /** Constant-time equality; different lengths are unequal without a compare. */
  equalBytes(a: Uint8Array, b: Uint8Array): boolean;
  utf8Bytes(text: string): Uint8Array;
  /** UTF-8 decoding as received: invalid sequences become U+FFFD, a byte order mark is kept. */
  utf8Text(bytes: Uint8Array): string;
  /** Each UTF-16 unit truncated to 8 bits (Trello's legacy signing). */
  latin1Bytes(text: string): Uint8Array;
  /** The UTF-8 length of a text, without encoding it. */
  utf8Length(text: string): number;
  encodeBytes(bytes: Uint8Array, encoding: 'hex' | 'base64'): string;
  /** Template functions render synchronously, so these are synchronous on every platform. */
  sha256(value: Value): Uint8Array;
  hmacSha256(key: Value, value: Value): Uint8Array;
  CertificateKeys: new (options?: CertificateOptions) => CertificateKeySource;
}

export interface SecretKey {
  kind: 'secret';
  bytes: Uint8Array;
}
/** A public key in the platform's own form (a KeyObject, a Web Crypto key to import): opaque to the verifier. */
export interface PublicKey {
  kind: 'public';
  key: object;
}
/** A credential decoded once, when the receiver is built. */
export type DecodedKey = SecretKey | PublicKey;

export class KeyDecodingError extends Error {}

export interface CertificateOptions {
  /** How certificates are downloaded (default: the global fetch). Inject it in tests. */
  fetch?: (url: string, init: { signal: AbortSignal; redirect: 'error' }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;
  /** PEM certificates trusted as roots (default: Node's bundled Mozilla roots). */
  trustedCertificates?: readonly string[];
  /** How long a download may take, in ms (default 5 s). */
  timeoutMs?: number;
}

/** Public keys from certificates named by requests (PayPal's `PAYPAL-CERT-URL`). */
export interface CertificateKeySource {
  key(rule: CertificateRule, url: string, nowMs: number): Promise<PublicKey['key'] | Rejection>;
}

/** Length in bytes of a MAC or hash, so a candidate of another length is refused before any compare. */
export const DIGEST_LENGTH: Partial<Record<Algorithm, number>> = {
  'hmac-sha1': 20,
  'hmac-sha256': 32,
  'hmac-sha512': 64,
  sha256: 32,
};

export const ASYMMETRIC: ReadonlySet<Algorithm> = new Set(['ed25519', 'ecdsa-p256-sha256', 'rsa-sha256', 'rsa-sha1']);
export const PUBLIC_KEY_DECODINGS: ReadonlySet<KeyDecoding> = new Set(['spki', 'ed25519-hex', 'ed25519-base64']);

/** The key type each asymmetric algorithm needs, as node names it (`asymmetricKeyType`). */
export const KEY_TYPE: Partial<Record<Algorithm, 'ed25519' | 'ec' | 'rsa'>> = { ed25519: 'ed25519', 'ecdsa-p256-sha256': 'ec', 'rsa-sha256': 'rsa', 'rsa-sha1': 'rsa' };
