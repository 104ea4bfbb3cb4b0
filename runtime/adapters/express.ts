import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookRequest } from '../verify/request.js';
import type { WebhookResponse } from '../verify/handshake.js';
import { reject } from '../verify/errors.js';
import { rejectionResponse } from '../receiver-response.js';
import { createNodeHandler } from './node.js';
import type { AdapterOptions } from './body.js';

/**
 * Express 4 and 5. Structural types only: importing `express` here would make it a dependency of
 * every hookgen user, and its types differ between 4 and 5 while this shape is common to both.
 */
type ExpressRequest = IncomingMessage & { body?: unknown; rawBody?: unknown };
export type ExpressHandler = (req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * A route handler that reads the raw body itself:
 *
 *     app.post('/webhooks/github', createExpressHandler(receiver));   // before app.use(express.json())
 *
 * It also takes the bytes a route-scoped `express.raw()` / `express.text()` left in `req.body`, or
 * a `req.rawBody` saved by `express.json({ verify })`. When a parser consumed the stream and kept
 * only the parsed object, it answers 500 `body_not_raw` at once, naming the fix: waiting for the
 * stream would hang until a timeout (octokit/webhooks.js#1081).
 */
export function createExpressHandler(receiver: { handle(request: WebhookRequest): Promise<WebhookResponse> }, options: AdapterOptions = {}): ExpressHandler {
  const node = createNodeHandler((request) => receiver.handle(request), options);
  return (req, res, next) => {
    if (!hasRawBytes(req) && req.readableEnded) {
      const { status, headers, body } = rejectionResponse(reject('body_not_raw', PARSED_FIRST));
      res.writeHead(status, headers).end(body);
      return;
    }
    // Express 4's body parsers set `req.body = {}` on requests they skip (another content type)
    // without reading them; the stream is intact. Express 5 leaves `undefined` there: do the same,
    // so that the placeholder is never taken for a consumed body.
    if (!hasRawBytes(req) && req.body !== undefined) req.body = undefined;
    void node(req, res, next);
  };
}

const PARSED_FIRST =
  'a body parser (express.json(), express.urlencoded() or similar) read this request before hookgen and kept only the parsed object, ' +
  'so the signature cannot be checked. Register the webhook route before app.use(express.json()), ' +
  'or keep the bytes: express.json({ verify: (req, res, buf) => { req.rawBody = buf } }).';

function hasRawBytes(req: ExpressRequest): boolean {
  return isRaw(req.rawBody) || isRaw(req.body);
}

const isRaw = (value: unknown) => typeof value === 'string' || Buffer.isBuffer(value);
