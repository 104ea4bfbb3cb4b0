import type { Rejection } from './verify/errors.js';
import type { WebhookResponse } from './verify/handshake.js';

export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** A refusal as handlers answer it: the status, the stable reason and the message; never a stack. */
export function rejectionResponse(rejection: Rejection): WebhookResponse {
  return { status: rejection.status, headers: JSON_HEADERS, body: JSON.stringify({ error: rejection.reason, message: rejection.message }) };
}
