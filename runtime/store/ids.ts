import { randomBytes } from 'node:crypto';

/**
 * Time-ordered ids (`msg_<time><random>`): sortable by creation like a ULID, and free of `.` so a
 * message id can go into Standard Webhooks' signed content `id.timestamp.body`.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  return `${prefix}_${now.toString(36).padStart(9, '0')}${randomBytes(10).toString('hex')}`;
}
