import { BodyCollector } from '../../adapters/body.js';

/**
 * The JSON-over-HTTP plumbing of the management API: one error type carrying its status, JSON
 * responses, and a bounded JSON body reader. Every refusal is `{ error: { code, message, field? } }`.
 */
export type ErrorCode =
  | 'unauthorized' | 'forbidden' | 'not_found' | 'method_not_allowed' | 'invalid_request' | 'invalid_json'
  | 'unsupported_media_type' | 'payload_too_large' | 'conflict' | 'internal';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** 400 for a bad value, naming the field (body property or query parameter) at fault. */
export const invalid = (field: string, message: string) => new ApiError(400, 'invalid_request', `${field}: ${message}`, field);
export const notFound = (what: string, id: string) => new ApiError(404, 'not_found', `no ${what} \`${id}\``);

const NO_STORE = { 'cache-control': 'no-store' };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  if (status === 204) return new Response(null, { status, headers: { ...NO_STORE, ...headers } });
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...NO_STORE, ...headers } });
}

export function errorResponse(error: ApiError): Response {
  const body = { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
  return json(error.status, body, error.headers);
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * The body as parsed JSON, or undefined when there is none (`POST …/pause` needs none). Bodies are
 * read up to `maxBytes` and no further, whatever Content-Length claims.
 */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return undefined;
  const collector = new BodyCollector(maxBytes);
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!collector.add(value)) {
      void reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
  }
  const bytes = collector.bytes();
  if (bytes.byteLength === 0) return undefined;
  const type = request.headers.get('content-type') ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', `send the body as JSON with Content-Type: application/json${type ? `, not ${type}` : ''}`);
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
  } catch (error) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(maxBytes: number) {
  return new ApiError(413, 'payload_too_large', `the body is larger than the limit of ${maxBytes} bytes`);
}
