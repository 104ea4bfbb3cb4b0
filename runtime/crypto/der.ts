/**
 * The little DER that Web Crypto leaves to its callers: which kind of key an SPKI holds (node tells
 * with `asymmetricKeyType`; Web Crypto must be told before importing), and ECDSA signatures, which
 * providers send as DER but Web Crypto verifies as the raw r‖s pair.
 */
import { fromBase64Loose, toHex } from './encoding.js';

interface Element {
  tag: number;
  /** Content start and end offsets. */
  start: number;
  end: number;
}

function readElement(bytes: Uint8Array, offset: number, limit = bytes.length): Element | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3 || start + count > limit) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    start += count;
  }
  const end = start + length;
  return end > limit ? undefined : { tag, start, end };
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OID = 0x06;

const KEY_OIDS: Record<string, 'rsa' | 'ec' | 'ed25519'> = {
  '2a864886f70d010101': 'rsa',
  '2a8648ce3d0201': 'ec',
  '2b6570': 'ed25519',
};
const P256_OID = '2a8648ce3d030107';

/** The key type of a DER SubjectPublicKeyInfo, and for EC keys whether the curve is P-256. */
export function spkiKeyType(der: Uint8Array): { type: 'rsa' | 'ec' | 'ed25519' | 'unknown'; p256: boolean } | undefined {
  const outer = readElement(der, 0);
  if (!outer || outer.tag !== SEQUENCE || outer.end !== der.length) return undefined;
  const algorithm = readElement(der, outer.start, outer.end);
  if (!algorithm || algorithm.tag !== SEQUENCE) return undefined;
  const oid = readElement(der, algorithm.start, algorithm.end);
  if (!oid || oid.tag !== OID) return undefined;
  const type = KEY_OIDS[toHex(der.subarray(oid.start, oid.end))] ?? 'unknown';
  const params = readElement(der, oid.end, algorithm.end);
  const p256 = params?.tag === OID && toHex(der.subarray(params.start, params.end)) === P256_OID;
  return { type, p256 };
}

/** A PEM public key's DER bytes, or base64 DER as it is; undefined when neither. */
export function publicKeyDer(text: string): Uint8Array | undefined {
  if (!text.includes('-----BEGIN')) return fromBase64Loose(text.trim());
  const match = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(text);
  return match ? fromBase64Loose(match[1]!.replace(/\s+/g, '')) : undefined;
}

/** An ECDSA signature as DER `SEQUENCE { r, s }` turned into r‖s of `size` bytes each; undefined if malformed. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  const sequence = readElement(der, 0);
  if (!sequence || sequence.tag !== SEQUENCE || sequence.end !== der.length) return undefined;
  const r = readElement(der, sequence.start, sequence.end);
  const s = r && readElement(der, r.end, sequence.end);
  if (!r || !s || r.tag !== INTEGER || s.tag !== INTEGER || s.end !== sequence.end) return undefined;
  const out = new Uint8Array(size * 2);
  for (const [i, element] of [r, s].entries()) {
    let value = der.subarray(element.start, element.end);
    // DER integers carry a leading zero when the top bit is set; drop it (and refuse longer values).
    while (value.length > size && value[0] === 0) value = value.subarray(1);
    if (value.length > size) return undefined;
    out.set(value, i * size + size - value.length);
  }
  return out;
}
