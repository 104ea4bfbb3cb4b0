/**
 * When to try again. Defaults follow Svix (Standard Webhooks' reference sender): after the first try,
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each ±20 % so retries of a burst do not arrive together.
 */
export const DEFAULT_RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export interface RetryPolicyOptions {
  /** Delays before each retry, in ms; its length is the number of retries. */
  retrySchedule?: readonly number[];
  /** Relative jitter: 0.2 spreads each delay over ±20 % (default 0.2). */
  jitter?: number;
  /** `Retry-After` (on 429 and 503) can push a retry later than the schedule, up to this (default 10 h). */
  maxRetryAfterMs?: number;
  /** Random in [0, 1) for the jitter (tests pass a constant). */
  random?: () => number;
}

export type RetryDecision = { kind: 'retry'; delayMs: number } | { kind: 'exhausted' };

export class RetryPolicy {
  private readonly schedule: readonly number[];
  private readonly jitter: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  constructor(options: RetryPolicyOptions = {}) {
    this.schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS;
    this.jitter = options.jitter ?? 0.2;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 36_000_000;
    this.random = options.random ?? Math.random;
    if (this.schedule.some((d) => !(d >= 0))) throw new Error('retrySchedule: delays are non-negative numbers of ms');
  }

  /** After `attemptsMade` failed attempts (1 after the first), with the endpoint's answer. */
  next(attemptsMade: number, status: number | null, retryAfter: string | undefined, now: number): RetryDecision {
    const base = this.schedule[attemptsMade - 1];
    if (base === undefined) return { kind: 'exhausted' };
    let delayMs = Math.round(base * (1 + this.jitter * (2 * this.random() - 1)));
    // Honour Retry-After when the endpoint says it is overloaded, but never earlier than the schedule.
    if ((status === 429 || status === 503) && retryAfter !== undefined) {
      const asked = parseRetryAfter(retryAfter, now);
      if (asked !== undefined) delayMs = Math.max(delayMs, Math.min(asked, this.maxRetryAfterMs));
    }
    return { kind: 'retry', delayMs };
  }
}

/** `Retry-After`: delay-seconds or an HTTP date; undefined when unreadable. */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
