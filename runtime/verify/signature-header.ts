import type { SignatureFormat } from '../spec/types.js';

export interface ParsedSignatureHeader {
  /** Signature candidates of the scheme's version, still encoded. */
  candidates: string[];
  /** Every other `key=value` entry of a list (Stripe `t`, other versions). */
  params: Record<string, string>;
  /** Why the value could not be read, when it could not. */
  error?: string;
}

/**
 * Splits a signature header value by the scheme's grammar: a bare value, a fixed prefix
 * (`sha256=<hex>`), or a list of entries (`t=1,v1=a,v1=b`, `v1,<b64> v1a,<b64>`). Entries of other
 * versions are ignored, as Stripe and Standard Webhooks require, rather than refused.
 */
export function parseSignatureHeader(value: string, format: SignatureFormat): ParsedSignatureHeader {
  if (format.list === undefined) {
    const text = value.trim();
    if (format.prefix !== undefined && !text.startsWith(format.prefix)) {
      return { candidates: [], params: NO_PARAMS, error: `does not start with \`${format.prefix}\`` };
    }
    return { candidates: [format.prefix === undefined ? text : text.slice(format.prefix.length)], params: NO_PARAMS };
  }
  const candidates: string[] = [];
  const params: Record<string, string> = Object.create(null);
  const pair = format.pair ?? '=';
  for (const entry of value.split(format.list)) {
    const at = entry.indexOf(pair);
    if (at < 0) continue;
    const key = entry.slice(0, at).trim();
    if (!key) continue;
    const entryValue = entry.slice(at + pair.length).trim();
    if (key === format.signature) candidates.push(entryValue);
    else if (params[key] === undefined) params[key] = entryValue;
  }
  return { candidates, params };
}

const NO_PARAMS: Record<string, string> = Object.freeze(Object.create(null));
