const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `15m`, `24h`, `7d`, or a bare number of milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new Error(`${flag}: \`${text}\` is not a duration (500ms, 30s, 15m, 24h, 7d, or milliseconds)`);
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
}

/**
 * A point in time for --since and the like: an ISO 8601 time, epoch milliseconds, or a duration
 * meaning that long ago (`2h`: two hours before now). Answered as ISO 8601, as the API takes it.
 */
export function parseTimeFlag(text: string, flag: string, now = Date.now()): string {
  if (/^\d{10,16}$/.test(text)) return new Date(Number(text)).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new Error(`${flag}: \`${text}\` is not a valid ISO 8601 time`);
    return new Date(at).toISOString();
  }
  try {
    return new Date(now - parseDuration(text, flag)).toISOString();
  } catch {
    throw new Error(`${flag}: \`${text}\` is neither a time (2026-01-31T12:00:00Z, epoch ms) nor a duration ago (30m, 2h, 7d)`);
  }
}
