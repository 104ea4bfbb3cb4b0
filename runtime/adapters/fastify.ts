// Types only: the plugin runs on the user's Fastify and never loads it itself.
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import type { WebhookRequest } from '../verify/request.js';
import type { WebhookResponse } from '../verify/handshake.js';
import { reject } from '../verify/errors.js';
import { rejectionResponse } from '../receiver-response.js';
import { limits } from './body.js';

export interface WebhookPluginOptions {
  receiver: { handle(request: WebhookRequest): Promise<WebhookResponse> };
  /** The route inside the plugin's prefix (default `/`). */
  path?: string;
  /** Largest body accepted (default 25 MiB, what GitHub may send; Fastify's own default is 1 MiB). */
  maxBodyBytes?: number;
}

/**
 * An encapsulated Fastify 5 plugin: one webhook route whose body arrives as raw bytes, while the
 * rest of the app keeps its JSON parser (fastify/fastify#5491).
 *
 *     app.register(webhookPlugin, { receiver, prefix: '/webhooks/github' });
 *
 * Not wrapped in `fastify-plugin` on purpose: the parser changes below must stay in this scope.
 */
export const webhookPlugin: FastifyPluginAsync<WebhookPluginOptions> = async (instance, options) => {
  const { receiver } = options;
  const { maxBodyBytes } = limits(options);
  // Fastify's built-in application/json and text/plain parsers win over '*', so they go too;
  // in this scope only, since a plugin works on its own copy of the parsers.
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) => done(null, body));

  // Fastify refuses an oversized body before the handler runs; answer it as the other adapters do.
  // Any other error goes on to the app's own error handler.
  instance.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
    const { status, headers, body } = rejectionResponse(reject('body_too_large', `body passed the limit of ${maxBodyBytes} bytes`));
    return reply.code(status).headers(headers).send(body);
  });

  instance.all(options.path ?? '/', async (request, reply) => {
    const raw = request.body ?? '';
    const response =
      Buffer.isBuffer(raw) || typeof raw === 'string'
        ? await receiver.handle({
            method: request.method,
            url: request.url,
            // headersDistinct keeps a repeated signature header apart (refused as ambiguous), as the node handler does.
            headers: request.raw.headersDistinct ?? request.headers,
            body: raw,
          })
        : rejectionResponse(reject('body_not_raw', NOT_RAW));
    return reply.code(response.status).headers(response.headers).send(response.body);
  });
};

const NOT_RAW =
  'the body reached the webhook route parsed, not as bytes, so the signature cannot be checked. ' +
  'Register webhookPlugin with app.register() as it is: wrapped in fastify-plugin, its raw-body parser would leak out of its scope or be overridden.';

export default webhookPlugin;
