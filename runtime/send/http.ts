import { Pool } from 'undici';
import { guardedConnector, type AddressPolicy } from './ssrf.js';

export interface PostResult {
  /** null when no response arrived. */
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  /** The start of the response body (at most `maxResponseBytes`). */
  body: string | null;
  /** Why no usable response came: `timeout`, `connection`, `dns`, `ssrf`, `tls`, `aborted`. */
  errorClass: string | null;
  error: string | null;
}

export interface HttpPosterOptions extends AddressPolicy {
  timeoutMs: number;
  /** Connections per origin (default 16). */
  connectionsPerOrigin?: number;
  maxResponseBytes?: number;
  userAgent?: string;
}

/**
 * Posts webhooks with one undici `Pool` per origin (keep-alive, no redirects: undici never follows
 * them by itself, and a 3xx is a failure for webhooks). Node 20's global fetch is several times slower.
 */
export class HttpPoster {
  private readonly pools = new Map<string, Pool>();
  private readonly connector;
  /** In-flight requests per stop signal: one listener per signal instead of one per request. */
  private readonly stoppable = new WeakMap<AbortSignal, Set<AbortController>>();
  constructor(private readonly options: HttpPosterOptions) {
    this.connector = guardedConnector(options, Math.min(options.timeoutMs, 10_000));
  }

  post(url: string, headers: Record<string, string>, body: string, stop?: AbortSignal): Promise<PostResult> {
    return this.send('POST', url, headers, body, stop);
  }

  /** A GET through the same guard (the registration echo check). */
  get(url: string, headers: Record<string, string> = {}): Promise<PostResult> {
    return this.send('GET', url, headers, undefined);
  }

  private async send(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body: string | undefined, stop?: AbortSignal): Promise<PostResult> {
    const target = new URL(url);
    let pool = this.pools.get(target.origin);
    if (!pool) {
      pool = new Pool(target.origin, { connect: this.connector, connections: this.options.connectionsPerOrigin ?? 16 });
      this.pools.set(target.origin, pool);
    }
    if (stop?.aborted) return failure('aborted', 'stopped before the endpoint answered');
    // One controller and one plain timer per request: AbortSignal.timeout + AbortSignal.any cost
    // about a third of the sender's throughput on loopback (measured in bench/send.ts).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const group = stop ? this.stopGroup(stop) : undefined;
    group?.add(controller);
    try {
      const response = await pool.request({
        path: `${target.pathname}${target.search}`,
        method,
        headers: { 'user-agent': this.options.userAgent ?? 'hookgen', ...headers },
        body,
        signal: controller.signal,
      });
      const text = await readStart(response.body, this.options.maxResponseBytes ?? 20_000);
      return { status: response.statusCode, headers: response.headers, body: text, errorClass: null, error: null };
    } catch (error) {
      if (stop?.aborted) return failure('aborted', 'stopped before the endpoint answered');
      if (timedOut) return failure('timeout', `no answer within ${this.options.timeoutMs} ms`);
      return failure(classify(error), describe(error));
    } finally {
      clearTimeout(timer);
      group?.delete(controller);
    }
  }

  private stopGroup(stop: AbortSignal): Set<AbortController> {
    let group = this.stoppable.get(stop);
    if (!group) {
      const members = new Set<AbortController>();
      group = members;
      this.stoppable.set(stop, members);
      stop.addEventListener('abort', () => members.forEach((c) => c.abort()), { once: true });
    }
    return group;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}

function failure(errorClass: string, error: string): PostResult {
  return { status: null, headers: {}, body: null, errorClass, error };
}

/** Reads the first bytes of a body and drops the rest: the attempt log keeps a bounded excerpt. */
async function readStart(body: AsyncIterable<Buffer> & { destroy?: () => void }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < max) chunks.push(chunk);
    size += chunk.length;
    if (size > 1_000_000) {
      body.destroy?.(); // a huge answer is not worth reading to the end
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function causes(error: unknown): Array<{ code?: string; name?: string; message?: string }> {
  const chain: Array<{ code?: string; name?: string; message?: string }> = [];
  let current = error as { cause?: unknown } | undefined;
  while (current && typeof current === 'object' && chain.length < 5) {
    chain.push(current as { code?: string });
    current = current.cause as { cause?: unknown } | undefined;
  }
  return chain;
}

function classify(error: unknown): string {
  const codes = causes(error).map((e) => e.code ?? '');
  if (codes.includes('ERR_HOOKGEN_SSRF')) return 'ssrf';
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN')) return 'dns';
  if (codes.some((c) => c === 'UND_ERR_CONNECT_TIMEOUT' || c === 'UND_ERR_HEADERS_TIMEOUT' || c === 'UND_ERR_BODY_TIMEOUT')) return 'timeout';
  if (codes.some((c) => c.startsWith('ERR_TLS') || c.includes('CERT'))) return 'tls';
  return 'connection';
}

function describe(error: unknown): string {
  return causes(error).map((e) => [e.code, e.message].filter(Boolean).join(': ')).filter(Boolean).join(' ← ') || String(error);
}
