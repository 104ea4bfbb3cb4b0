/**
 * Every way a request can be refused, with the HTTP status a handler answers. The reasons are a
 * stable, documented API (docs/errors.md): scripts and dashboards match on them, people read `message`.
 */
export const REASONS = {
  body_not_raw: 500,
  body_too_large: 413,
  body_timeout: 408,
  method_not_allowed: 405,
  unsupported_content_type: 415,
  missing_signature: 400,
  duplicate_header: 400,
  malformed_signature: 400,
  signature_mismatch: 401,
  unknown_key: 401,
  untrusted_key: 401,
  missing_timestamp: 400,
  malformed_timestamp: 400,
  timestamp_too_old: 401,
  timestamp_in_future: 401,
  invalid_body: 400,
  missing_event_name: 400,
} as const;

export type Reason = keyof typeof REASONS;

export interface Rejection {
  ok: false;
  reason: Reason;
  status: number;
  message: string;
  /**
   * True when the signature was checked and is valid, yet the request is still refused (a body that
   * is not JSON, no event name): it tells an unusual but genuine request apart from a forged one.
   */
  authenticated: boolean;
}

export function reject(reason: Reason, message: string, authenticated = false): Rejection {
  return { ok: false, reason, status: REASONS[reason], message, authenticated };
}

/** Thrown by `verifyOrThrow` and by handlers' strict paths; carries the same fields as a Rejection. */
export class WebhookVerificationError extends Error {
  readonly reason: Reason;
  readonly status: number;
  readonly authenticated: boolean;

  constructor(rejection: Rejection) {
    super(rejection.message);
    this.name = 'WebhookVerificationError';
    this.reason = rejection.reason;
    this.status = rejection.status;
    this.authenticated = rejection.authenticated;
  }
}
