import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Attempt, AttemptOutcome, ClaimedDelivery, Store, Subscription } from '../store/types.js';
import type { HttpPoster, PostResult } from './http.js';
import type { RetryPolicy } from './retry-policy.js';
import type { Signer } from './signer.js';

export interface Clock {
  now(): number;
}

export interface EndpointDisabledEvent {
  subscription: Subscription;
  /** `gone`: the endpoint answered 410. `failing`: only failures for `disableAfterMs`. */
  reason: 'gone' | 'failing';
  /** When the run of failures started (for `failing`). */
  since: number | null;
}

export interface WorkerOptions {
  /** Deliveries in flight at once in this worker (default 64). */
  concurrency?: number;
  /** In-flight deliveries per endpoint, across every worker (default 8). */
  perEndpointConcurrency?: number;
  /** How long a claim is held; must outlast the request timeout (default 2 × timeout + 30 s). */
  leaseMs?: number;
  /** Poll interval when nothing wakes the worker, in ms (default 1000). */
  pollIntervalMs?: number;
  /** How long `stop()` lets in-flight requests finish before aborting and releasing them (default 10 s). */
  stopTimeoutMs?: number;
  /** Identifies the lease holder (default host:pid:random). */
  workerId?: string;
  /**
   * Called after each attempt is recorded (logs, metrics). `applied` is false when the lease had been
   * lost to another worker, whose attempt then decides. A throwing hook is reported to `onError`.
   */
  onAttempt?: (event: AttemptEvent) => unknown;
}

export interface AttemptEvent {
  delivery: ClaimedDelivery;
  attempt: Attempt;
  outcome: AttemptOutcome;
  applied: boolean;
}

/** What the sender hands every worker. */
export interface WorkerContext {
  store: Store;
  clock: Clock;
  http: HttpPoster;
  sign: Signer;
  retry: RetryPolicy;
  timeoutMs: number;
  disableAfterMs: number;
  onEndpointDisabled?: (event: EndpointDisabledEvent) => unknown;
  onError?: (error: unknown) => unknown;
}

export interface Worker {
  readonly id: string;
  /** Runs until `stop()`: claims due deliveries, woken by publishes and by a poll as a backstop. */
  start(): void;
  /** Stops claiming; lets in-flight deliveries finish (up to `stopTimeoutMs`), then aborts and releases the rest. */
  stop(): Promise<void>;
  /** Delivers everything due now (by the clock) and returns how many attempts were made. Not while started. */
  tick(): Promise<number>;
}

export function createWorker(ctx: WorkerContext, options: WorkerOptions = {}): Worker {
  const id = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const concurrency = options.concurrency ?? 64;
  const perEndpoint = options.perEndpointConcurrency ?? 8;
  const leaseMs = options.leaseMs ?? 2 * ctx.timeoutMs + 30_000;
  const pollMs = options.pollIntervalMs ?? 1000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const { store, clock } = ctx;
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let unlisten: (() => void) | undefined;
  const nudge = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const report = (error: unknown) => {
    try {
      ctx.onError?.(error);
    } catch {
      /* a failing error hook must not stop deliveries */
    }
  };

  async function deliver(d: ClaimedDelivery): Promise<void> {
    const startedAt = clock.now();
    let result: PostResult;
    const began = performance.now();
    try {
      const signed = ctx.sign(d.message, d.subscription.url, d.subscription.secrets, d.subscription.headers, startedAt);
      result = await ctx.http.post(signed.url, signed.headers, signed.body, abort.signal);
    } catch (error) {
      result = { status: null, headers: {}, body: null, errorClass: 'signing', error: String(error) };
    }
    const durationMs = Math.round(performance.now() - began);
    // Stopped mid-request: the receiver may or may not have it; give it back to be sent again (at least once).
    if (result.errorClass === 'aborted') {
      await store.release([d.id], id, clock.now());
      return;
    }
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const gone = result.status === 410;
    const n = d.attempts + 1;
    let outcome: AttemptOutcome = { kind: 'succeeded' };
    if (!ok) {
      const retryAfter = result.headers['retry-after'];
      const decision = gone ? { kind: 'exhausted' as const } : ctx.retry.next(n, result.status, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, startedAt);
      outcome = decision.kind === 'retry' ? { kind: 'retry', nextAttemptAt: startedAt + durationMs + decision.delayMs } : { kind: 'failed' };
    }
    const error = ok ? null : (result.error ?? `HTTP ${result.status}`);
    const attempt: Attempt = {
      deliveryId: d.id, n, startedAt, durationMs, status: result.status, response: result.body,
      errorClass: ok ? null : (result.errorClass ?? 'http'), error,
    };
    const recorded = await store.recordAttempt({ workerId: id, subscriptionId: d.subscriptionId, endpointOk: ok, outcome, attempt });
    if (options.onAttempt) {
      try {
        await options.onAttempt({ delivery: d, attempt, outcome, applied: recorded.applied });
      } catch (error) {
        report(error);
      }
    }
    if (gone) await disable(d.subscription, 'gone', null);
    else if (!ok && recorded.firstFailureAt !== null && clock.now() - recorded.firstFailureAt >= ctx.disableAfterMs) {
      await disable(d.subscription, 'failing', recorded.firstFailureAt);
    }
  }

  async function disable(subscription: Subscription, reason: EndpointDisabledEvent['reason'], since: number | null) {
    const current = await store.getSubscription(subscription.id);
    if (!current || current.disabled) return; // another worker got there first: one event only
    const updated = await store.updateSubscription(subscription.id, { disabled: true, disabledReason: reason }, clock.now());
    if (updated) await ctx.onEndpointDisabled?.({ subscription: updated, reason, since });
  }

  function launch(d: ClaimedDelivery) {
    const p: Promise<void> = deliver(d)
      .catch(report) // e.g. the database is down: the lease expires and the delivery is retried
      .finally(() => {
        inFlight.delete(p);
        nudge();
      });
    inFlight.add(p);
  }

  async function claim(limit: number) {
    return store.claimDue({ workerId: id, limit, leaseMs, now: clock.now(), perEndpointLimit: perEndpoint });
  }

  async function run() {
    // Claim in batches: one claim per finished delivery would cost a query per request.
    const batch = Math.max(1, Math.floor(concurrency / 4));
    while (running) {
      const free = concurrency - inFlight.size;
      let claimed = 0;
      const attempt = free >= batch || (free > 0 && inFlight.size === 0);
      if (attempt) {
        try {
          const claimedNow = await claim(free);
          claimedNow.forEach(launch);
          claimed = claimedNow.length;
        } catch (error) {
          report(error);
        }
      }
      if (!running) break;
      if (claimed > 0 && claimed === free) continue; // there may be more due right now
      let delay = pollMs;
      if (attempt && claimed === 0) {
        const next = await store.nextDueAt().catch(() => null);
        if (next !== null) delay = Math.max(10, Math.min(pollMs, next - clock.now()));
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  return {
    id,
    start() {
      if (running) return;
      running = true;
      unlisten = store.onWork(nudge);
      loop = run();
    },
    async stop() {
      running = false;
      unlisten?.();
      nudge();
      await loop;
      const drained = Promise.all([...inFlight]);
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), stopTimeoutMs).unref());
      if ((await Promise.race([drained, timer])) === 'timeout') {
        abort.abort();
        await Promise.all([...inFlight]);
      }
      await ctx.http.close();
    },
    async tick() {
      let attempts = 0;
      for (;;) {
        const batch = await claim(concurrency);
        if (batch.length === 0) return attempts;
        batch.forEach(launch);
        await Promise.all([...inFlight]);
        attempts += batch.length;
      }
    },
  };
}
