import type { DeliveryQuery } from './types.js';

/**
 * The one SQL text of `listDeliveries` for both stores; only the placeholder differs (`?` for SQLite,
 * `$n` for PostgreSQL), so `bind` records the value and returns its placeholder. Pages are keyset
 * (`(created_at, id)` past the cursor), so a page costs the same however deep it is and rows inserted
 * meanwhile neither repeat nor shift later pages.
 */
export function deliveriesSql(q: DeliveryQuery, bind: (value: unknown) => string): string {
  const where: string[] = [];
  const desc = q.order === 'desc';
  if (q.messageId !== undefined) where.push(`d.message_id = ${bind(q.messageId)}`);
  if (q.subscriptionId !== undefined) where.push(`d.subscription_id = ${bind(q.subscriptionId)}`);
  if (q.status !== undefined) where.push(`d.status = ${bind(q.status)}`);
  if (q.since !== undefined) where.push(`d.created_at >= ${bind(q.since)}`);
  if (q.until !== undefined) where.push(`d.created_at < ${bind(q.until)}`);
  if (q.updatedSince !== undefined) where.push(`d.updated_at >= ${bind(q.updatedSince)}`);
  if (q.after !== undefined) where.push(`(d.created_at, d.id) ${desc ? '<' : '>'} (${bind(q.after.createdAt)}, ${bind(q.after.id)})`);
  // A delivery's tenant is its message's: the message outlives a deleted subscription.
  if (q.tenant !== undefined) where.push(`EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id AND m.tenant = ${bind(q.tenant)})`);
  const direction = desc ? 'DESC' : 'ASC';
  return `SELECT d.* FROM deliveries d ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY d.created_at ${direction}, d.id ${direction} LIMIT ${bind(q.limit ?? 1000)}`;
}
