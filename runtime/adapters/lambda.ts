import type { WebhookRequest } from '../verify/request.js';
import type { WebhookResponse } from '../verify/handshake.js';
import { reject } from '../verify/errors.js';
import { rejectionResponse } from '../receiver-response.js';

/**
 * The fields read from an AWS Lambda HTTP event: API Gateway REST APIs (payload v1), HTTP APIs
 * (payload v2) and function URLs (the v2 shape). Structural, so `@types/aws-lambda` is not needed;
 * its `APIGatewayProxyEvent`, `APIGatewayProxyEventV2` and `LambdaFunctionURLEvent` all fit.
 */
export interface LambdaHttpEvent {
  /** v1 */
  httpMethod?: string;
  path?: string;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  /** v2 and function URLs */
  rawPath?: string;
  rawQueryString?: string;
  /** v2's method is in `http`; v1 repeats `httpMethod` here (which also keeps this type from being a "weak" all-optional one). */
  requestContext?: { http?: { method?: string }; httpMethod?: string };
  /** both */
  headers?: Record<string, string | undefined> | null;
  /** A string as the proxy integration passes it; an object only behind a non-proxy mapping template. */
  body?: unknown;
  isBase64Encoded?: boolean;
}

/** What API Gateway (v1 and v2) and function URLs take back. */
export interface LambdaHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

/**
 * `export const handler = createLambdaHandler(receiver)`. Decodes base64 bodies to the exact bytes
 * (not to 'ascii' text, which corrupts non-ASCII bodies: slackapi/bolt-js#971), reads headers
 * case-insensitively and keeps repeated ones apart, and answers in the proxy result shape.
 */
export function createLambdaHandler(receiver: { handle(request: WebhookRequest): Promise<WebhookResponse> }) {
  return async (event: LambdaHttpEvent): Promise<LambdaHttpResult> => {
    const response = await respond(receiver, event);
    return { statusCode: response.status, headers: response.headers, body: response.body, isBase64Encoded: false };
  };
}

async function respond(receiver: { handle(request: WebhookRequest): Promise<WebhookResponse> }, event: LambdaHttpEvent): Promise<WebhookResponse> {
  const raw = event.body ?? '';
  if (typeof raw !== 'string') return rejectionResponse(reject('body_not_raw', NOT_PROXY));
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : raw;
  return receiver.handle({ method: event.requestContext?.http?.method ?? event.httpMethod, url: urlOf(event), headers: headersOf(event), body });
}

const NOT_PROXY =
  'the event carries a parsed body, not the raw one: the API Gateway integration is not a Lambda proxy integration ' +
  '(a mapping template rebuilt the body). Use a proxy integration, or map the body as $util.base64Encode($input.body) with isBase64Encoded: true.';

/**
 * Lower-cased names (REST APIs pass headers as sent, in any case). v1's multiValueHeaders holds
 * every value, so a repeated signature header stays visible and is refused as ambiguous; v2 has
 * already joined repeats with commas.
 */
function headersOf(event: LambdaHttpEvent): Record<string, string | string[]> {
  const bag: Record<string, string | string[]> = {};
  const add = (name: string, values: string[]) => {
    const key = name.toLowerCase();
    const all = [...[bag[key] ?? []].flat(), ...values];
    bag[key] = all.length === 1 ? all[0]! : all;
  };
  if (event.multiValueHeaders) {
    for (const [name, values] of Object.entries(event.multiValueHeaders)) if (values?.length) add(name, values);
  } else {
    for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) add(name, [value]);
  }
  return bag;
}

/** Path and query, as the node handler passes them. v1 has only the decoded parameters: re-encoded here. */
function urlOf(event: LambdaHttpEvent): string {
  if (event.rawPath !== undefined) return event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath;
  const query = new URLSearchParams();
  const multi = event.multiValueQueryStringParameters;
  if (multi) for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) query.append(name, value);
  else for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query.append(name, value);
  const search = query.toString();
  return `${event.path ?? '/'}${search ? `?${search}` : ''}`;
}
