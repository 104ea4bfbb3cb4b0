import type { Attempt, Delivery, DeliveryStatus, Message, Subscription } from './types.js';

/**
 * Row → record mapping shared by both stores. SQLite hands back JSON as text and integers as numbers;
 * PostgreSQL hands back jsonb as objects and bigint as strings: both are normalised here.
 */
type Row = Record<string, unknown>;

const json = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));
const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export function toSubscription(row: Row, prefix = ''): Subscription {
  const r = (name: string) => row[prefix + name];
  return {
    id: String(r('id')),
    tenant: String(r('tenant')),
    url: String(r('url')),
    events: json<string[]>(r('events')),
    secrets: json(r('secrets')),
    headers: json(r('headers')),
    metadata: json(r('metadata')),
    paused: Boolean(r('paused')),
    disabled: Boolean(r('disabled')),
    disabledReason: strOrNull(r('disabled_reason')),
    firstFailureAt: numOrNull(r('first_failure_at')),
    createdAt: num(r('created_at')),
    updatedAt: num(r('updated_at')),
  };
}

export function toMessage(row: Row, prefix = ''): Message {
  const r = (name: string) => row[prefix + name];
  return {
    id: String(r('id')),
    tenant: String(r('tenant')),
    eventType: String(r('event_type')),
    payload: String(r('payload')),
    idempotencyKey: strOrNull(r('idempotency_key')),
    createdAt: num(r('created_at')),
  };
}

export function toDelivery(row: Row): Delivery {
  return {
    id: String(row.id),
    messageId: String(row.message_id),
    subscriptionId: String(row.subscription_id),
    status: row.status as DeliveryStatus,
    attempts: num(row.attempts),
    nextAttemptAt: num(row.next_attempt_at),
    leaseOwner: strOrNull(row.lease_owner),
    leaseExpiresAt: numOrNull(row.lease_expires_at),
    lastStatus: numOrNull(row.last_status),
    lastError: strOrNull(row.last_error),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function toAttempt(row: Row): Attempt {
  return {
    deliveryId: String(row.delivery_id),
    n: num(row.n),
    startedAt: num(row.started_at),
    durationMs: num(row.duration_ms),
    status: numOrNull(row.status),
    response: strOrNull(row.response),
    errorClass: strOrNull(row.error_class),
    error: strOrNull(row.error),
  };
}

/** Column list for a claim's join: the delivery as is, the message as m_*, the subscription as s_*. */
export const CLAIM_COLUMNS = `d.*,
  m.id AS m_id, m.tenant AS m_tenant, m.event_type AS m_event_type, m.payload AS m_payload,
  m.idempotency_key AS m_idempotency_key, m.created_at AS m_created_at,
  s.id AS s_id, s.tenant AS s_tenant, s.url AS s_url, s.events AS s_events, s.secrets AS s_secrets,
  s.headers AS s_headers, s.metadata AS s_metadata, s.paused AS s_paused, s.disabled AS s_disabled,
  s.disabled_reason AS s_disabled_reason, s.first_failure_at AS s_first_failure_at,
  s.created_at AS s_created_at, s.updated_at AS s_updated_at`;

export const EMPTY_COUNTS = (): Record<DeliveryStatus, number> => ({ pending: 0, inflight: 0, succeeded: 0, failed: 0, cancelled: 0 });

/** Error and response texts are bounded so one chatty endpoint cannot bloat the attempts log. */
export function truncate(text: string | null, max: number): string | null {
  return text === null || text.length <= max ? text : text.slice(0, max);
}
