import type { WebhookResponse } from '../verify/handshake.js';
import type { WebhookRequest } from '../verify/request.js';
import { reject, type Rejection } from '../verify/errors.js';
import { BodyCollector, declaredTooLarge, limits, type AdapterOptions } from './body.js';
import { rejectionResponse } from '../receiver-response.js';

/** `(Request) => Promise<Response>`: the web-standard handler every other adapter could wrap. */
export function createFetchHandler(handle: (request: WebhookRequest) => Promise<WebhookResponse>, options: AdapterOptions = {}) {
  const { maxBodyBytes, bodyTimeoutMs } = limits(options);
  return async (request: Request): Promise<Response> => {
    const tooLarge = declaredTooLarge(request.headers.get('content-length'), maxBodyBytes);
    if (tooLarge) return toResponse(rejectionResponse(tooLarge));
    const body = await readBody(request, maxBodyBytes, bodyTimeoutMs);
    if (!(body instanceof Uint8Array)) return toResponse(rejectionResponse(body));
    const response = await handle({ method: request.method, url: request.url, headers: request.headers, body });
    return toResponse(response);
  };
}

function toResponse(response: WebhookResponse): Response {
  const nullBody = response.status === 204 || response.status === 304 || response.body === '';
  return new Response(nullBody ? null : response.body, { status: response.status, headers: response.headers });
}

async function readBody(request: Request, maxBodyBytes: number, timeoutMs: number): Promise<Uint8Array | Rejection> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const collector = new BodyCollector(maxBodyBytes);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout') {
        void reader.cancel().catch(() => undefined);
        return reject('body_timeout', `the body did not arrive within ${timeoutMs} ms`);
      }
      if (next.done) return collector.bytes();
      if (!collector.add(next.value)) {
        void reader.cancel().catch(() => undefined);
        return collector.tooLarge();
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
