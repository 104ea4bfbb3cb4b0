import { concatBytes } from '../crypto/encoding.js';
import { reject, type Rejection } from '../verify/errors.js';
import { DEFAULT_MAX_BODY_BYTES } from '../verify/verifier.js';

export interface AdapterOptions {
  maxBodyBytes?: number;
  /** How long a client may take to send its body, in ms (default 30 s); slower ones get 408. */
  bodyTimeoutMs?: number;
}

export const limits = (options: AdapterOptions) => ({
  maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000,
});

/** Refuses from the Content-Length header alone, before a byte of the body is read. */
export function declaredTooLarge(contentLength: string | null | undefined, maxBodyBytes: number): Rejection | undefined {
  if (!contentLength) return undefined;
  const n = Number(contentLength);
  if (Number.isFinite(n) && n > maxBodyBytes) {
    return reject('body_too_large', `Content-Length ${n} exceeds the limit of ${maxBodyBytes} bytes`);
  }
  return undefined;
}

/** Joins chunks read so far; refuses as soon as they pass the limit. */
export class BodyCollector {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  constructor(private readonly maxBodyBytes: number) {}

  /** False once the body is over the limit. */
  add(chunk: Uint8Array): boolean {
    this.size += chunk.byteLength;
    if (this.size > this.maxBodyBytes) return false;
    this.chunks.push(chunk);
    return true;
  }

  bytes(): Uint8Array {
    return this.chunks.length === 1 ? this.chunks[0]! : concatBytes(this.chunks);
  }

  tooLarge(): Rejection {
    return reject('body_too_large', `body passed the limit of ${this.maxBodyBytes} bytes`);
  }
}
