import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookRequest } from '../verify/request.js';
import type { WebhookResponse } from '../verify/handshake.js';
import { reject } from '../verify/errors.js';
import { rejectionResponse } from '../receiver-response.js';
import { createNodeHandler } from './node.js';
import type { AdapterOptions } from './body.js';

/*
 * Next.js.
 *
 * App Router (`app/…/route.ts`) hands route handlers a web `Request` and never parses its body, so
 * the fetch handler is the whole adapter (bodyParser settings do not apply there: vercel/next.js#49025):
 *
 *     export const POST = (req: Request) => receiver.fetch(req);
 *
 * Pages Router (`pages/api/…`) parses JSON and form bodies unless the route opts out, which is what
 * this module is for.
 */

/**
 * What a Pages Router webhook route must export as `config`. Next.js reads that export statically,
 * so write the literal in the route file (`export const config = { api: { bodyParser: false } };`)
 * rather than re-exporting this constant; it is here to name the setting and to test against.
 */
export const pagesApiConfig = { api: { bodyParser: false } } as const;

type NextApiRequest = IncomingMessage & { body?: unknown; rawBody?: unknown };

/**
 * `export default createPagesApiHandler(receiver)` in `pages/api/webhooks/<provider>.ts`. If the
 * route left Next's bodyParser on, the bytes are gone by the time it runs: it answers 500
 * `body_not_raw` at once, naming the setting, instead of failing every signature (stripe-node#1294).
 */
export function createPagesApiHandler(receiver: { handle(request: WebhookRequest): Promise<WebhookResponse> }, options: AdapterOptions = {}) {
  const node = createNodeHandler((request) => receiver.handle(request), options);
  return async (req: NextApiRequest, res: ServerResponse): Promise<void> => {
    // With bodyParser on, Next leaves JSON and form bodies parsed in req.body and other types as text.
    // Text is the body as received, and the node handler takes it; an object is not.
    if (req.body !== undefined && typeof req.body !== 'string' && !Buffer.isBuffer(req.body) && req.readableEnded) {
      const { status, headers, body } = rejectionResponse(reject('body_not_raw', BODY_PARSER_ON));
      res.writeHead(status, headers).end(body);
      return;
    }
    await node(req, res);
  };
}

const BODY_PARSER_ON =
  "Next.js parsed this request's body before hookgen (the API route's bodyParser is on), so the signature cannot be checked. " +
  'Add `export const config = { api: { bodyParser: false } };` to this API route file.';
