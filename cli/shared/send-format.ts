import type { DeliveryView, SubscriptionView } from '../../runtime/send/management/views.js';
import { style } from './style.js';

/** One line per object, in the order a person scans them: id, state, where, when. */
export function subscriptionLine(s: SubscriptionView): string {
  const state = s.disabled ? style.bad(`disabled${s.disabledReason ? ` (${s.disabledReason})` : ''}`) : s.paused ? style.warn('paused') : style.ok('active');
  const tenant = s.tenant ? style.dim(` tenant ${s.tenant}`) : '';
  return `${style.bold(s.id)} ${state} ${s.url} ${style.dim(`events ${s.events.join(',')}`)}${tenant}`;
}

export function subscriptionDetails(s: SubscriptionView): string[] {
  const rows: Array<[string, unknown]> = [
    ['url', s.url], ['events', s.events.join(', ')], ['tenant', s.tenant || '(none)'], ['signature', s.signature],
    ['public key', 'publicKey' in s ? s.publicKey : undefined],
    ['headers', Object.keys(s.headers).join(', ') || '(none)'], ['metadata', JSON.stringify(s.metadata)],
    ['paused', s.paused], ['disabled', s.disabled ? `yes${s.disabledReason ? ` (${s.disabledReason})` : ''}` : 'no'],
    ['failing since', s.failingSince], ['old secrets until', s.previousSecretsExpireAt.join(', ') || undefined],
    ['created', s.createdAt], ['updated', s.updatedAt],
  ];
  return [style.bold(s.id), ...rows.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `  ${k.padEnd(18)}${String(v)}`)];
}

const STATUS_STYLE: Record<string, (t: string) => string> = { succeeded: style.ok, failed: style.bad, cancelled: style.dim, pending: style.warn, inflight: style.warn };

export function deliveryLine(d: DeliveryView): string {
  const status = (STATUS_STYLE[d.status] ?? String)(d.status.padEnd(9));
  const last = d.lastStatus !== null ? `HTTP ${d.lastStatus}` : d.lastError ? d.lastError.slice(0, 40) : '';
  return `${style.bold(d.id)} ${status} ${style.dim(d.createdAt ?? '')} ${d.messageId} → ${d.subscriptionId} ${style.dim(`attempts ${d.attempts}`)}${last ? ` ${last}` : ''}`;
}
