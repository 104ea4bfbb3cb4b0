import type { IncomingMessage } from 'node:http';
import type { WebhookRequest } from '../verify/request.js';
import type { WebhookResponse } from '../verify/handshake.js';
import { reject, type Rejection } from '../verify/errors.js';
import { rejectionResponse } from '../receiver-response.js';
import { readNodeStream } from './node-stream.js';
import { declaredTooLarge, limits, type AdapterOptions } from './body.js';

/** The part of Koa's context used here: structural, so hookgen needs neither `koa` nor `@types/koa`. */
export interface KoaContext {
  req: IncomingMessage;
  request: { body?: unknown; rawBody?: unknown };
  method: string;
  path: string;
  originalUrl: string;
  status: number;
  body: unknown;
  set(headers: Record<string, string>): void;
}

export interface KoaOptions extends AdapterOptions {
  /** Answer only this path and pass every other request on (Koa has no router of its own). */
  path?: string;
}

/** koa-body keeps the unparsed text here when given `includeUnparsed: true`. */
const UNPARSED = Symbol.for('unparsedBody');

/**
 * Koa middleware: `app.use(createKoaMiddleware(receiver, { path: '/webhooks/github' }))`.
 * Takes `ctx.request.rawBody` when a body parser kept it (@koa/bodyparser, koa-bodyparser),
 * else reads the request stream; refuses at once, naming the fix, when a parser consumed the
 * stream and kept only the parsed object (octokit/webhooks.js#1153).
 */
export function createKoaMiddleware(receiver: { handle(request: WebhookRequest): Promise<WebhookResponse> }, options: KoaOptions = {}) {
  const { maxBodyBytes, bodyTimeoutMs } = limits(options);
  return async (ctx: KoaContext, next: () => Promise<unknown>): Promise<void> => {
    if (options.path !== undefined && ctx.path !== options.path) {
      await next();
      return;
    }
    const body = keptRawBody(ctx) ?? (ctx.req.readableEnded ? reject('body_not_raw', PARSED_FIRST) : await readStream(ctx.req, maxBodyBytes, bodyTimeoutMs));
    let response: WebhookResponse;
    if (typeof body === 'string' || body instanceof Uint8Array) {
      response = await receiver.handle({ method: ctx.method, url: ctx.originalUrl, headers: ctx.req.headersDistinct, body });
    } else {
      // The rest of a refused body is not read: close the connection rather than reuse it.
      if (!ctx.req.readableEnded) ctx.set({ connection: 'close' });
      response = rejectionResponse(body);
    }
    ctx.status = response.status;
    ctx.set(response.headers);
    ctx.body = response.body;
  };
}

const PARSED_FIRST =
  'a body parser read this request before hookgen and kept only the parsed object, so the signature cannot be checked. ' +
  'Register the webhook middleware before the body parser, or use one that keeps ctx.request.rawBody (@koa/bodyparser does; ' +
  'koa-body does with includeUnparsed: true).';

function keptRawBody(ctx: KoaContext): string | Uint8Array | undefined {
  const { rawBody, body } = ctx.request;
  if (typeof rawBody === 'string' || rawBody instanceof Uint8Array) return rawBody;
  const unparsed = body !== null && typeof body === 'object' ? (body as Record<symbol, unknown>)[UNPARSED] : undefined;
  return typeof unparsed === 'string' ? unparsed : undefined;
}

function readStream(req: IncomingMessage, maxBodyBytes: number, timeoutMs: number): Promise<Uint8Array | Rejection> {
  const tooLarge = declaredTooLarge(req.headers['content-length'], maxBodyBytes);
  if (tooLarge) return Promise.resolve(tooLarge);
  return readNodeStream(req, maxBodyBytes, timeoutMs);
}
