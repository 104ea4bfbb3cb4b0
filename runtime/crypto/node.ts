/**
 * The crypto module for Node (and runtimes with node:crypto): the `node` condition of `#crypto`.
 * The same contract as web.ts, synchronous throughout.
 */
import { createHash, createHmac, createPublicKey, timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { Algorithm, DigestEncoding, KeyDecoding } from '../spec/types.js';
import type { Value } from '../template/compile.js';
import { KEY_TYPE, KeyDecodingError, type DecodedKey, type PublicKey, type SecretKey } from './contract.js';

export { ASYMMETRIC, DIGEST_LENGTH, KeyDecodingError, PUBLIC_KEY_DECODINGS, type DecodedKey } from './contract.js';
export { CertificateKeys } from '../verify/certificates.js';

export const platform: 'node' | 'web' = 'node';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function decodeKey(value: string, decode: KeyDecoding, algorithm: Algorithm): DecodedKey {
  switch (decode) {
    case 'utf8':
      return { kind: 'secret', bytes: Buffer.from(value, 'utf8') };
    case 'whsec': {
      const body = value.startsWith('whsec_') ? value.slice('whsec_'.length) : value;
      const bytes = strictBase64(body);
      if (!bytes || bytes.length === 0) throw new KeyDecodingError('is not whsec_ followed by base64');
      return { kind: 'secret', bytes };
    }
    case 'base64': {
      const bytes = strictBase64(value);
      if (!bytes) throw new KeyDecodingError('is not base64');
      return { kind: 'secret', bytes };
    }
    case 'hex':
      if (!/^(?:[0-9a-fA-F]{2})+$/.test(value)) throw new KeyDecodingError('is not hex');
      return { kind: 'secret', bytes: Buffer.from(value, 'hex') };
    case 'ed25519-hex':
      if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new KeyDecodingError('is not 64 hex digits (a 32-byte Ed25519 public key)');
      return { kind: 'public', key: ed25519PublicKey(Buffer.from(value, 'hex')) };
    case 'ed25519-base64': {
      const bytes = strictBase64(value.startsWith('whpk_') ? value.slice(5) : value);
      if (!bytes || bytes.length !== 32) throw new KeyDecodingError('is not the base64 of a 32-byte Ed25519 public key');
      return { kind: 'public', key: ed25519PublicKey(bytes) };
    }
    case 'spki': {
      let key: KeyObject;
      try {
        key = value.includes('-----BEGIN') ? createPublicKey(value) : createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
      } catch {
        throw new KeyDecodingError(`is not a PEM or base64 DER public key`);
      }
      const expected = KEY_TYPE[algorithm];
      if (expected && key.asymmetricKeyType !== expected) {
        throw new KeyDecodingError(`is a ${key.asymmetricKeyType} key; ${algorithm} needs ${expected}`);
      }
      return { kind: 'public', key };
    }
  }
}

function ed25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function strictBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) && !/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/**
 * Decodes a signature candidate; undefined when it is not the canonical spelling in that encoding.
 * Lenient decoders accept several spellings of one signature (upper-case hex, base64 without padding
 * or with other unused bits in its last character) that the providers' own libraries refuse.
 */
export function decodeDigest(text: string, encoding: DigestEncoding): Buffer | undefined {
  switch (encoding) {
    case 'hex': {
      // Buffer.from stops at the first character that is not hex; the round trip also refuses upper case.
      const bytes = Buffer.from(text, 'hex');
      return bytes.length * 2 === text.length && bytes.toString('hex') === text ? bytes : undefined;
    }
    case 'hex-any-case':
      return text.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(text) ? Buffer.from(text, 'hex') : undefined;
    case 'base64':
    case 'base64url': {
      const bytes = Buffer.from(text, encoding);
      return bytes.toString(encoding) === text ? bytes : undefined;
    }
    case 'utf8':
      return Buffer.from(text, 'utf8');
  }
}

export function encodeDigest(bytes: Uint8Array, encoding: DigestEncoding): string {
  return asBuffer(bytes).toString(encoding === 'hex-any-case' ? 'hex' : encoding);
}

export const encodeBytes: (bytes: Uint8Array, encoding: 'hex' | 'base64') => string = encodeDigest;

/** A Buffer view of the same memory (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const utf8Bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
export const utf8Text = (bytes: Uint8Array): string => asBuffer(bytes).toString('utf8');
export const latin1Bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');
export const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');
export const sha256 = (value: Value): Uint8Array => createHash('sha256').update(value).digest();
export const hmacSha256 = (key: Value, value: Value): Uint8Array => createHmac('sha256', key).update(value).digest();

const HMAC_HASH: Partial<Record<Algorithm, string>> = {
  'hmac-sha1': 'sha1',
  'hmac-sha256': 'sha256',
  'hmac-sha512': 'sha512',
};

/**
 * The digest a symmetric scheme expects: a MAC keyed by the secret, or a plain SHA-256 of content
 * that itself contains the secret (HubSpot v1/v2). Never called for asymmetric algorithms: a hash
 * without a key there would let anyone sign.
 */
export function computeDigest(algorithm: Algorithm, key: Uint8Array, parts: readonly Value[]): Buffer {
  const hash = HMAC_HASH[algorithm];
  if (!hash && algorithm !== 'sha256') throw new Error(`computeDigest: ${algorithm} is not a symmetric algorithm`);
  const digest = hash ? createHmac(hash, key) : createHash('sha256');
  // Each update() crosses into C++: join neighbouring text parts (`t` and `.`) into one call.
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    if (text) digest.update(text), (text = '');
    digest.update(part);
  }
  if (text) digest.update(text);
  return digest.digest();
}

/** Constant-time equality of two byte strings; different lengths are unequal without a compare. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The signed bytes of rendered parts, joined once for however many signatures are checked. */
export function joinParts(parts: readonly Value[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

export function macMatches(algorithm: Algorithm, key: SecretKey, parts: readonly Value[], candidates: readonly Uint8Array[]): boolean {
  const expected = computeDigest(algorithm, key.bytes, parts);
  for (const candidate of candidates) if (equalBytes(candidate, expected)) return true;
  return false;
}

export function signatureMatches(algorithm: Algorithm, key: PublicKey, parts: readonly Value[], candidates: readonly Uint8Array[]): boolean {
  const data = joinParts(parts);
  for (const candidate of candidates) if (verifyAsymmetric(algorithm, key.key as KeyObject, data, candidate)) return true;
  return false;
}

/** Verifies an asymmetric signature over the signed bytes. */
export function verifyAsymmetric(algorithm: Algorithm, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    switch (algorithm) {
      case 'ed25519':
        return verifySignature(null, data, key, signature);
      case 'ecdsa-p256-sha256':
        return verifySignature('sha256', data, key, signature);
      case 'rsa-sha256':
        return verifySignature('sha256', data, key, signature);
      case 'rsa-sha1':
        return verifySignature('sha1', data, key, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}
