import { Flags } from '@oclif/core';
import { createSender, type DeliveryStatus, type Store } from '../../runtime/index.js';
import { HookgenCommand } from '../shared/command.js';
import { describeStore, openStore, StoreOpenError, storeFlag } from '../shared/store.js';
import { style } from '../shared/style.js';
import { parseDuration } from '../shared/time.js';

type Counts = Record<DeliveryStatus, number>;

/** One line of `--json` output. */
export type WorkerLine =
  | { type: 'started'; store: string; worker: string; concurrency: number }
  | { type: 'counts'; counts: Counts; delta: Partial<Counts> }
  | { type: 'attempt'; delivery: string; subscription: string; url: string; n: number; status: number | null; durationMs: number; outcome: string; error: string | null }
  | { type: 'endpoint-disabled'; subscription: string; url: string; reason: string }
  | { type: 'error'; message: string }
  | { type: 'stopped'; counts: Counts; attempts?: number };

const ORDER: DeliveryStatus[] = ['pending', 'inflight', 'succeeded', 'failed', 'cancelled'];

export default class Worker extends HookgenCommand {
  static override summary = 'Run a delivery worker: send due webhooks, retry failures, until Ctrl-C.';
  static override description =
    'Claims due deliveries from the store (several workers, on several machines with PostgreSQL, share the work safely), signs and POSTs them, ' +
    'records every attempt and schedules retries. Prints the delivery counts whenever they change (checked every --interval), and endpoints it disables. ' +
    'SIGINT or SIGTERM stops it gracefully: in-flight requests finish (or are handed back), nothing is lost. ' +
    'With --once it sends what is due now and exits (a cron job, a test). Private addresses (localhost, 10.x…) are refused unless allowed. ' +
    'Exit 2: bad flags or no usable store.';
  static override examples = [
    '<%= config.bin %> worker --store ./hooks.db',
    '<%= config.bin %> worker --store postgres://hookgen@db/app --concurrency 128 --json',
    '<%= config.bin %> worker --store ./hooks.db --allow-private-addresses --once --verbose',
  ];
  static override flags = {
    store: storeFlag,
    concurrency: Flags.integer({ char: 'c', default: 64, min: 1, description: 'Deliveries in flight at once in this worker.' }),
    'per-endpoint': Flags.integer({ default: 8, min: 1, description: 'Deliveries in flight at once per endpoint, across all workers.' }),
    timeout: Flags.string({ default: '15s', description: 'Request timeout (500ms, 15s, 1m).' }),
    interval: Flags.string({ default: '10s', description: 'How often to check the counts and print them if they changed.' }),
    'allow-private-addresses': Flags.boolean({ description: 'Send to private and loopback addresses too (local testing only: it turns the SSRF guard off).' }),
    'allow-address': Flags.string({ multiple: true, default: [], description: 'An address or CIDR range let through the SSRF guard (127.0.0.1, 10.1.0.0/16); repeat for several.' }),
    once: Flags.boolean({ description: 'Send what is due now, then exit.' }),
    json: Flags.boolean({ description: 'Print one JSON object a line.' }),
    verbose: Flags.boolean({ char: 'v', description: 'Also print a line per attempt: delivery, endpoint, status, time taken, what happens next.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Worker);
    const usage = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (error) {
        this.error((error as Error).message, { exit: 2 });
      }
    };
    const timeoutMs = usage(() => parseDuration(flags.timeout, '--timeout'));
    const intervalMs = Math.max(100, usage(() => parseDuration(flags.interval, '--interval')));
    const store = await openStore(flags.store, { create: true }).catch((error: Error) => this.error(error.message, { exit: error instanceof StoreOpenError ? 2 : 1 }));
    const out = (line: WorkerLine, text: string) => process.stdout.write(`${flags.json ? JSON.stringify(line) : text}\n`);
    const time = () => style.dim(new Date().toISOString().slice(11, 19));
    const sender = usage(() =>
      createSender({
        store,
        timeoutMs,
        blockPrivateAddresses: !flags['allow-private-addresses'],
        allowPrivateAddresses: flags['allow-address'],
        onEndpointDisabled: ({ subscription, reason }) =>
          out({ type: 'endpoint-disabled', subscription: subscription.id, url: subscription.url, reason },
            `${time()} ${style.bad('disabled')} ${subscription.id} ${subscription.url}: ${reason === 'gone' ? 'it answered 410 Gone' : 'it has only failed for too long'}`),
        onError: (error) => {
          const message = error instanceof Error ? error.message : String(error);
          process.stderr.write(`${flags.json ? JSON.stringify({ type: 'error', message }) : `${time()} ${style.bad('error')} ${message}`}\n`);
        },
      }),
    );
    const worker = sender.worker({
      concurrency: flags.concurrency,
      perEndpointConcurrency: flags['per-endpoint'],
      onAttempt: flags.verbose
        ? ({ delivery, attempt, outcome }) => {
            const next = outcome.kind === 'retry' ? `retry at ${new Date(outcome.nextAttemptAt).toISOString()}` : outcome.kind;
            const status = attempt.status === null ? (attempt.errorClass ?? 'no answer') : String(attempt.status);
            out(
              { type: 'attempt', delivery: delivery.id, subscription: delivery.subscriptionId, url: delivery.subscription.url, n: attempt.n, status: attempt.status, durationMs: attempt.durationMs, outcome: outcome.kind, error: attempt.error },
              `${time()} ${outcome.kind === 'succeeded' ? style.ok(status) : style.bad(status)} ${delivery.id} → ${delivery.subscription.url} (attempt ${attempt.n}, ${attempt.durationMs} ms): ${next}`,
            );
          }
        : undefined,
    });
    try {
      if (flags.once) {
        const attempts = await worker.tick();
        await worker.stop();
        const counts = await store.countDeliveries();
        out({ type: 'stopped', counts, attempts }, `Made ${attempts} attempt(s). ${countsText(counts)}`);
        return;
      }
      out({ type: 'started', store: describeStore(flags.store!), worker: worker.id, concurrency: flags.concurrency },
        `Worker ${worker.id} sending from ${describeStore(flags.store!)} (concurrency ${flags.concurrency}). Ctrl-C stops.`);
      // Listening before starting: a signal at any point from here on stops gracefully.
      const signalled = new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      worker.start();
      await this.watch(store, intervalMs, signalled, (now, delta) => out({ type: 'counts', counts: now, delta }, `${time()} ${countsText(now, delta)}`));
      await worker.stop();
      const counts = await store.countDeliveries();
      out({ type: 'stopped', counts }, `Stopped. ${countsText(counts)}`);
    } finally {
      await store.close().catch(() => undefined);
    }
  }

  /** Prints the counts whenever they change, until `until` resolves. */
  private async watch(store: Store, intervalMs: number, until: Promise<void>, print: (counts: Counts, delta: Partial<Counts>) => void): Promise<void> {
    let last: Counts | undefined;
    const check = async () => {
      const now = await store.countDeliveries().catch(() => undefined);
      if (!now) return; // the store is unreachable for now; onError reports the worker's own failures
      const delta: Partial<Counts> = {};
      for (const status of ORDER) if (last && now[status] !== last[status]) delta[status] = now[status] - last[status];
      if (!last || Object.keys(delta).length > 0) print(now, delta);
      last = now;
    };
    await check();
    const timer = setInterval(() => void check(), intervalMs);
    await until;
    clearInterval(timer);
  }
}

function countsText(counts: Counts, delta: Partial<Counts> = {}): string {
  return ORDER.map((s) => {
    const change = delta[s];
    const text = `${s} ${counts[s]}${change ? ` (${change > 0 ? '+' : ''}${change})` : ''}`;
    return s === 'failed' && change && change > 0 ? style.bad(text) : s === 'succeeded' && change ? style.ok(text) : text;
  }).join(' · ');
}
