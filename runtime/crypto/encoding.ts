/**
 * Byte encodings without Buffer, for runtimes that have only web-standard APIs (Workers, Deno, browsers).
 * Decoders return undefined for anything they cannot read; the `canonical` decoders also refuse
 * every spelling but the one the encoder produces, as providers' own libraries do for signatures.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

/** Hex of either case; undefined for an odd length or a character that is not hex. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  // String.fromCharCode takes arguments: chunks keep the call stack small for large inputs.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Base64 as keys are written in the wild: either alphabet, padding optional (what Buffer accepts,
 * minus its habit of skipping characters it does not know).
 */
export function fromBase64Loose(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) && !/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const standard = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (standard.length % 4 === 1) return undefined;
  let binary: string;
  try {
    binary = atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, '='));
  } catch {
    return undefined;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Standard base64 with its padding, or base64url without: the one spelling the encoder produces. */
export function fromBase64Canonical(text: string, alphabet: 'base64' | 'base64url'): Uint8Array | undefined {
  const pattern = alphabet === 'base64' ? /^[A-Za-z0-9+/]*={0,2}$/ : /^[A-Za-z0-9_-]*$/;
  if (!pattern.test(text)) return undefined;
  const bytes = fromBase64Loose(text);
  if (!bytes) return undefined;
  return (alphabet === 'base64' ? toBase64(bytes) : toBase64Url(bytes)) === text ? bytes : undefined;
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.byteLength;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
