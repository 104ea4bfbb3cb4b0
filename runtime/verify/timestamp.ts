import type { TimestampRule } from '../spec/types.js';
import { reject, type Rejection } from './errors.js';

/** Reads a timestamp in the rule's unit as milliseconds since the epoch; undefined when malformed. */
export function parseTimestamp(text: string, unit: TimestampRule['unit']): number | undefined {
  if (unit === 'iso8601') {
    // An offset is required: without one Date.parse would read the server's local time.
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return undefined;
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const n = Number(text);
  // Number() also reads "", " 1", "1e3" and "0x10"; a timestamp is digits only.
  if (!Number.isSafeInteger(n) || n < 0 || text.length === 0 || text.length > 16 || !isDigits(text)) return undefined;
  return unit === 's' ? n * 1000 : n;
}

/** Checks a signed timestamp against now; a rejection says by how much it missed. */
export function checkTimestamp(timestampMs: number, nowMs: number, rule: TimestampRule, label: string): Rejection | undefined {
  const age = (nowMs - timestampMs) / 1000;
  if (age > rule.tolerance) {
    return reject(
      'timestamp_too_old',
      `${label} is ${Math.round(age)} s old; tolerance ${rule.tolerance} s. A replayed request, or a clock that is off (pass \`now\` in tests).`,
      true,
    );
  }
  if (rule.future !== null && -age > rule.future) {
    return reject('timestamp_in_future', `${label} is ${Math.round(-age)} s in the future; tolerance ${rule.future} s. Check this server's clock.`, true);
  }
  return undefined;
}

function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
