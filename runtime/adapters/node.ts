import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookResponse } from '../verify/handshake.js';
import type { WebhookRequest } from '../verify/request.js';
import { reject, type Rejection } from '../verify/errors.js';
import { rejectionResponse } from '../receiver-response.js';
import { readNodeStream } from './node-stream.js';
import { declaredTooLarge, limits, type AdapterOptions } from './body.js';

/** What Express, Connect and frameworks built on node:http may have put on the request. */
type NodeRequest = IncomingMessage & { body?: unknown; rawBody?: unknown; originalUrl?: string };

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => Promise<void>;

/**
 * `(req, res)` for node:http, Express and Connect. It reads the raw body itself; when a body parser
 * ran first and kept no raw bytes, it answers 500 at once and names the fix instead of waiting for
 * a stream that has already been consumed.
 */
export function createNodeHandler(handle: (request: WebhookRequest) => Promise<WebhookResponse>, options: AdapterOptions = {}): NodeHandler {
  const { maxBodyBytes, bodyTimeoutMs } = limits(options);
  return async (incoming, res, next) => {
    const req = incoming as NodeRequest;
    try {
      const tooLarge = declaredTooLarge(req.headers['content-length'], maxBodyBytes);
      const body = tooLarge ?? (await rawBody(req, maxBodyBytes, bodyTimeoutMs));
      if (!(body instanceof Uint8Array) && typeof body !== 'string') {
        if (!req.readableEnded) res.setHeader('connection', 'close');
        return send(res, rejectionResponse(body));
      }
      const response = await handle({ method: req.method, url: req.originalUrl ?? req.url, headers: req.headers, rawHeaders: req.rawHeaders, body });
      send(res, response);
    } catch (error) {
      if (next) return next(error);
      console.error('[hookgen] node handler failed:', error);
      if (!res.headersSent) send(res, { status: 500, headers: { 'content-type': 'text/plain' }, body: 'internal error' });
    }
  };
}

function send(res: ServerResponse, response: WebhookResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

async function rawBody(req: NodeRequest, maxBodyBytes: number, timeoutMs: number): Promise<Uint8Array | string | Rejection> {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (typeof req.rawBody === 'string') return req.rawBody;
  if (req.body !== undefined) {
    if (Buffer.isBuffer(req.body) || typeof req.body === 'string') return req.body;
    // Only a stream read to its end is gone: Express 4's json() leaves `{}` on a form body it skipped.
    if (req.readableEnded) {
      return reject(
        'body_not_raw',
        'a body parser (express.json() or similar) consumed the request before hookgen and kept no raw bytes, so no signature can be checked. ' +
          'Mount the webhook route before the parser, or give that route express.raw({ type: "*/*" }).',
      );
    }
  }
  if (req.readableEnded) {
    return reject('body_not_raw', 'the request body was already read by another middleware; mount hookgen before it');
  }
  return readNodeStream(req, maxBodyBytes, timeoutMs);
}
