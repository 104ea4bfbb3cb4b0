import type { WebhookResponse } from '../verify/handshake.js';
import { isBytes, type WebhookRequest } from '../verify/request.js';
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
    if (!isBytes(body)) return toResponse(rejectionResponse(body));
    const response = await handle({ method: request.method, url: request.url, headers: request.headers, body });
    return toResponse(response);
  };
}

function toResponse(response: WebhookResponse): Response {
  const nullBody = response.status === 204 || response.status === 304 || response.body === '';
  return new Response(nullBody ? null : response.body, { status: response.status, headers: response.headers });
}

async function readBody(request: Request, maxBodyBytes: number, timeoutMs: number): Promise<Uint8Array | Rejection> {
  if (request.bodyUsed) {
    return reject('body_not_raw', 'the request body was already read (request.json() or .text() ran before hookgen): pass the untouched Request, or a clone');
  }
  if (!request.body) return new Uint8Array(0);
  if (request.headers.get('content-length') !== null) {
    // Its length is declared and within the limit (checked above): one read is cheaper than a stream loop.
    return withTimeout(request.arrayBuffer().then((buffer) => new Uint8Array(buffer)), timeoutMs);
  }
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

async function withTimeout(body: Promise<Uint8Array>, timeoutMs: number): Promise<Uint8Array | Rejection> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Rejection>((resolve) => {
    timer = setTimeout(() => resolve(reject('body_timeout', `the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([body, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
