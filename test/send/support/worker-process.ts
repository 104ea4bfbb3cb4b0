/**
 * A delivery worker in its own process, for the crash and scale tests (bundled by support/spawn.ts).
 * HOOKGEN_STORE is a SQLite path or `postgres-url#schema`; it stops gracefully on SIGTERM.
 */
import { createSender, postgresStore, sqliteStore } from '../../../runtime/index.js';

const location = process.env.HOOKGEN_STORE!;
const store = location.startsWith('postgres')
  ? await postgresStore({ connectionString: location.split('#')[0]!, schema: location.split('#')[1] })
  : sqliteStore({ path: location });
const sender = createSender({
  store,
  allowPrivateAddresses: ['127.0.0.1'],
  userAgent: `hookgen-test/${process.env.HOOKGEN_WORKER_NAME ?? process.pid}`,
  retrySchedule: [100, 100, 100],
});
const worker = sender.worker({
  concurrency: Number(process.env.HOOKGEN_CONCURRENCY ?? 16),
  leaseMs: Number(process.env.HOOKGEN_LEASE_MS ?? 60_000),
  pollIntervalMs: 50,
});
worker.start();
process.on('SIGTERM', () => {
  void worker.stop().then(() => store.close()).then(() => process.exit(0));
});
process.stdout.write('ready\n');
