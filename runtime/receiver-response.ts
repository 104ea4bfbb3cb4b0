import type { Rejection } from './verify/errors.js';
import type { RuntimeSpec } from './spec/types.js';
import type { TemplateContext } from './template/compile.js';
import { compileResponse } from './verify/handshake.js';
import type { WebhookResponse } from './verify/handshake.js';

export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** A refusal as handlers answer it: the status, the stable reason and the message; never a stack. */
export function rejectionResponse(rejection: Rejection): WebhookResponse {
  return { status: rejection.status, headers: JSON_HEADERS, body: JSON.stringify({ error: rejection.reason, message: rejection.message }) };
}

/**
 * How a provider's refusals are answered: JSON by default, or the spec's `rejection` template (a
 * SOAP fault for Salesforce) rendered with `{error:reason}`, `{error:status}`, `{error:message}`.
 */
export function compileRejection(spec: RuntimeSpec): (rejection: Rejection) => WebhookResponse {
  const template = spec.rejection;
  if (!template) return rejectionResponse;
  const respond = compileResponse({ status: 0, headers: template.headers, body: template.body });
  return (rejection) => ({ ...respond(errorContext(rejection)), status: template.status ?? rejection.status });
}

/** A template context that knows only the rejection: request sources are absent here. */
function errorContext(rejection: Rejection): TemplateContext {
  const none = () => undefined;
  return {
    body: () => '',
    method: () => '',
    url: () => '',
    header: none,
    query: none,
    json: none,
    form: none,
    param: none,
    config: none,
    credential: none,
    error: (field) => (field === 'reason' ? rejection.reason : field === 'status' ? String(rejection.status) : field === 'message' ? rejection.message : undefined),
  };
}
