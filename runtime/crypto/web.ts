/**
 * The crypto module for runtimes without node:crypto (Cloudflare Workers, Deno Deploy, browsers, edge
 * functions): the `default` condition of `#crypto`. Signatures are checked with Web Crypto, which is
 * promise-based, so verification there is asynchronous; everything else is plain JavaScript over
 * Uint8Array, with no Buffer.
 */
import type { Algorithm, DigestEncoding, KeyDecoding } from '../spec/types.js';
import type { Value } from '../template/compile.js';
import { reject } from '../verify/errors.js';
import { KEY_TYPE, KeyDecodingError, type CertificateKeySource, type DecodedKey, type PublicKey, type SecretKey } from './contract.js';
import { ecdsaDerToRaw, publicKeyDer, spkiKeyType } from './der.js';
import { concatBytes, fromBase64Canonical, fromBase64Loose, fromHex, toBase64, toHex } from './encoding.js';
import { hmacSha256Bytes, sha256Bytes } from './sha256.js';

export { ASYMMETRIC, DIGEST_LENGTH, KeyDecodingError, PUBLIC_KEY_DECODINGS, type DecodedKey } from './contract.js';

export const platform: 'node' | 'web' = 'web';

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
// Buffer's decoding: bad sequences become U+FFFD and a leading byte order mark stays in the text.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A public key as Web Crypto needs it: the SPKI bytes and the algorithm to import them for, imported once. */
interface WebPublicKey {
  spki: Uint8Array;
  algorithm: Algorithm;
  imported?: Promise<CryptoKey>;
}

/**
 * Web Crypto's types refuse views that could be over a SharedArrayBuffer; ours never are (bodies,
 * keys and signatures are copies or views of ordinary buffers).
 */
const bufferSource = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

const ED25519_SPKI_PREFIX = fromHex('302a300506032b6570032100')!;

export function decodeKey(value: string, decode: KeyDecoding, algorithm: Algorithm): DecodedKey {
  switch (decode) {
    case 'utf8':
      return { kind: 'secret', bytes: encoder.encode(value) };
    case 'whsec': {
      const bytes = fromBase64Loose(value.startsWith('whsec_') ? value.slice('whsec_'.length) : value);
      if (!bytes || bytes.length === 0) throw new KeyDecodingError('is not whsec_ followed by base64');
      return { kind: 'secret', bytes };
    }
    case 'base64': {
      const bytes = fromBase64Loose(value);
      if (!bytes) throw new KeyDecodingError('is not base64');
      return { kind: 'secret', bytes };
    }
    case 'hex': {
      const bytes = fromHex(value);
      if (!bytes || bytes.length === 0) throw new KeyDecodingError('is not hex');
      return { kind: 'secret', bytes };
    }
    case 'ed25519-hex': {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new KeyDecodingError('is not 64 hex digits (a 32-byte Ed25519 public key)');
      return publicKey(concatBytes([ED25519_SPKI_PREFIX, fromHex(value)!]), algorithm);
    }
    case 'ed25519-base64': {
      const bytes = fromBase64Loose(value.startsWith('whpk_') ? value.slice(5) : value);
      if (!bytes || bytes.length !== 32) throw new KeyDecodingError('is not the base64 of a 32-byte Ed25519 public key');
      return publicKey(concatBytes([ED25519_SPKI_PREFIX, bytes]), algorithm);
    }
    case 'spki': {
      const der = publicKeyDer(value);
      const info = der && spkiKeyType(der);
      if (!der || !info) throw new KeyDecodingError('is not a PEM or base64 DER public key');
      const expected = KEY_TYPE[algorithm];
      if (expected && info.type !== expected) throw new KeyDecodingError(`is a ${info.type} key; ${algorithm} needs ${expected}`);
      if (info.type === 'ec' && !info.p256) throw new KeyDecodingError(`is an EC key on another curve; ${algorithm} needs P-256`);
      return publicKey(der, algorithm);
    }
  }
}

function publicKey(spki: Uint8Array, algorithm: Algorithm): PublicKey {
  const key: WebPublicKey = { spki, algorithm };
  return { kind: 'public', key };
}

export function decodeDigest(text: string, encoding: DigestEncoding): Uint8Array | undefined {
  switch (encoding) {
    case 'hex':
      return /^[0-9a-f]*$/.test(text) ? fromHex(text) : undefined;
    case 'hex-any-case':
      return fromHex(text);
    case 'base64':
    case 'base64url':
      return fromBase64Canonical(text, encoding);
    case 'utf8':
      return encoder.encode(text);
  }
}

export function encodeBytes(bytes: Uint8Array, encoding: 'hex' | 'base64'): string {
  return encoding === 'hex' ? toHex(bytes) : toBase64(bytes);
}

const HMAC_HASH: Partial<Record<Algorithm, string>> = { 'hmac-sha1': 'SHA-1', 'hmac-sha256': 'SHA-256', 'hmac-sha512': 'SHA-512' };

/** Imported HMAC keys, per secret and hash: importing costs as much as a MAC of a small body. */
const hmacKeys = new WeakMap<Uint8Array, Map<string, Promise<CryptoKey>>>();

function hmacKey(secret: Uint8Array, hash: string): Promise<CryptoKey> {
  let byHash = hmacKeys.get(secret);
  if (!byHash) hmacKeys.set(secret, (byHash = new Map()));
  let key = byHash.get(hash);
  if (!key) byHash.set(hash, (key = subtle.importKey('raw', bufferSource(secret), { name: 'HMAC', hash }, false, ['sign'])));
  return key;
}

export function joinParts(parts: readonly Value[]): Uint8Array {
  // The body alone (GitHub, most HMAC schemes over bytes): sign it in place, no copy.
  if (parts.length === 1 && typeof parts[0] !== 'string') return parts[0]!;
  return concatBytes(parts.map((p) => (typeof p === 'string' ? encoder.encode(p) : p)));
}

export async function macMatches(algorithm: Algorithm, key: SecretKey, parts: readonly Value[], candidates: readonly Uint8Array[]): Promise<boolean> {
  const hash = HMAC_HASH[algorithm];
  if (!hash && algorithm !== 'sha256') throw new Error(`macMatches: ${algorithm} is not a symmetric algorithm`);
  const data = joinParts(parts);
  const expected = new Uint8Array(hash ? await subtle.sign('HMAC', await hmacKey(key.bytes, hash), bufferSource(data)) : await subtle.digest('SHA-256', bufferSource(data)));
  return candidates.some((candidate) => equalBytes(candidate, expected));
}

type ImportParams = Parameters<SubtleCrypto['importKey']>[2];
type VerifyParams = Parameters<SubtleCrypto['verify']>[0];

const IMPORT_PARAMS: Partial<Record<Algorithm, ImportParams>> = {
  ed25519: { name: 'Ed25519' },
  'ecdsa-p256-sha256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-sha256': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  'rsa-sha1': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' },
};
const VERIFY_PARAMS: Partial<Record<Algorithm, VerifyParams>> = {
  ed25519: { name: 'Ed25519' },
  'ecdsa-p256-sha256': { name: 'ECDSA', hash: 'SHA-256' },
  'rsa-sha256': { name: 'RSASSA-PKCS1-v1_5' },
  'rsa-sha1': { name: 'RSASSA-PKCS1-v1_5' },
};

export async function signatureMatches(algorithm: Algorithm, key: PublicKey, parts: readonly Value[], candidates: readonly Uint8Array[]): Promise<boolean> {
  const webKey = key.key as WebPublicKey;
  const importParams = IMPORT_PARAMS[algorithm];
  const verifyParams = VERIFY_PARAMS[algorithm];
  if (!importParams || !verifyParams) return false;
  // A key the platform refuses is a configuration error, not a forged request: let it throw.
  webKey.imported ??= subtle.importKey('spki', bufferSource(webKey.spki), importParams, false, ['verify']);
  const cryptoKey = await webKey.imported;
  const data = joinParts(parts);
  for (const candidate of candidates) {
    // Providers send ECDSA signatures as DER; Web Crypto takes the raw r‖s pair.
    const signature = algorithm === 'ecdsa-p256-sha256' ? ecdsaDerToRaw(candidate, 32) : candidate;
    if (signature && (await subtle.verify(verifyParams, cryptoKey, bufferSource(signature), bufferSource(data)).catch(() => false))) return true;
  }
  return false;
}

/** Constant time for equal lengths: every byte is compared whatever the first difference. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

export const utf8Bytes = (text: string): Uint8Array => encoder.encode(text);
export const utf8Text = (bytes: Uint8Array): string => decoder.decode(bytes);

export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** UTF-8 length counted from UTF-16 units: a lone surrogate encodes as U+FFFD, 3 bytes, as TextEncoder does. */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 4;
      i += 1;
    } else length += 3;
  }
  return length;
}

const asBytes = (value: Value): Uint8Array => (typeof value === 'string' ? encoder.encode(value) : value);
export const sha256 = (value: Value): Uint8Array => sha256Bytes(asBytes(value));
export const hmacSha256 = (key: Value, value: Value): Uint8Array => hmacSha256Bytes(asBytes(key), asBytes(value));

/**
 * Certificate keys (PayPal's `PAYPAL-CERT-URL`) need X.509 chain validation, which Web Crypto does
 * not offer: such requests are refused with the reason, and PayPal's postback verifier (a call to
 * PayPal's API) is the way to verify them on this runtime.
 */
export class CertificateKeys implements CertificateKeySource {
  async key() {
    return reject(
      'untrusted_key',
      'this runtime has no node:crypto to check X.509 certificate chains; configure the provider\'s API verification (PayPal: the postback credentials) or run on Node',
    );
  }
}
