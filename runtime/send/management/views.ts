import type { Attempt, Delivery, Message, Subscription } from '../../store/types.js';
import { activeSecrets, kindOf, publicKeyOf } from '../secrets.js';

/**
 * The JSON shapes the management API (and the CLI's --json) answer with: times as ISO 8601, and no
 * credential in sight. Signing secrets appear only in the create and rotate answers; custom header
 * values (often API keys) never, only their names.
 */
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function subscriptionView(s: Subscription, now: number) {
  const current = s.secrets[0]?.secret;
  const signature = current === undefined ? null : kindOf(current);
  return {
    id: s.id,
    tenant: s.tenant,
    url: s.url,
    events: s.events,
    headers: Object.fromEntries(Object.keys(s.headers).map((name) => [name, '[redacted]'])),
    metadata: s.metadata,
    /** `hmac` (shared secret) or `ed25519` (key pair: the public half is no secret, so it is always shown). */
    signature,
    ...(signature === 'ed25519' ? { publicKey: publicKeyOf(current!) } : {}),
    paused: s.paused,
    disabled: s.disabled,
    disabledReason: s.disabledReason,
    failingSince: iso(s.firstFailureAt),
    /** Rotated-out secrets still signing, until these times. */
    previousSecretsExpireAt: activeSecrets(s.secrets, now).flatMap((x) => (x.expiresAt === null ? [] : [iso(x.expiresAt)!])),
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}

export type SubscriptionView = ReturnType<typeof subscriptionView>;

/** The one answer that carries a signing secret: after a create or a rotation. */
export function withSecret(s: Subscription, now: number): SubscriptionView & { secret: string } {
  return { ...subscriptionView(s, now), secret: s.secrets[0]!.secret };
}

export function messageView(m: Message) {
  return { id: m.id, tenant: m.tenant, eventType: m.eventType, payload: m.payload, idempotencyKey: m.idempotencyKey, createdAt: iso(m.createdAt) };
}

export function deliveryView(d: Delivery) {
  return {
    id: d.id,
    messageId: d.messageId,
    subscriptionId: d.subscriptionId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    leaseExpiresAt: d.status === 'inflight' ? iso(d.leaseExpiresAt) : null,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

export type DeliveryView = ReturnType<typeof deliveryView>;

export function attemptView(a: Attempt) {
  return {
    n: a.n, startedAt: iso(a.startedAt), durationMs: a.durationMs, status: a.status,
    response: a.response, errorClass: a.errorClass, error: a.error,
  };
}
