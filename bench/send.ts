/**
 * Durable sending vs raw undici: how much do the store, the claim protocol, signing and the attempt
 * log cost per delivery?
 *
 *     npx tsc -p tsconfig.build.json && node dist/bench/send.js [--n=5000] [--concurrency=64] [--pg=postgres://…]
 *
 * A loopback receiver in a child process answers 204. With 1 KiB payloads and concurrency 64:
 *   raw       undici Pool posting N pre-built requests, 64 at a time: no store, no signing.
 *   sqlite    N messages published (one subscription), then one worker (concurrency 64, per-endpoint
 *             cap 64) delivers them: claim with a lease, sign, POST, record the attempt. Timed from
 *             the worker's start to its N-th recorded success (its onAttempt events), then checked
 *             against the store's counts.
 *   postgres  the same on PostgreSQL (skipped when it is not reachable).
 * Reported: deliveries/s (first claim to last recorded success), publish/s (single publishes,
 * awaited one after another), batched/s (the same payloads published with `publishMany`, 100 a call,
 * after the deliveries: they are not delivered) and the ratio to raw. Raw runs first and last; the
 * better run counts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { createSender, postgresStore, sqliteStore, type Store } from '../runtime/index.js';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=') ?? fallback;
const N = Number(arg('n', '5000'));
const CONCURRENCY = Number(arg('concurrency', '64'));
// Which durable runs to make (e.g. --stores=sqlite to profile one store alone).
const STORES = arg('stores', 'sqlite,postgres').split(',');
const PG_URL = arg('pg', process.env.HOOKGEN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const DATA = { blob: 'x'.repeat(1024 - 80) }; // with the envelope, ~1 KiB on the wire
const BATCH = 100; // messages per publishMany call in the batched-publish run

if (process.argv[2] === '--receiver') {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
} else {
  await main();
}

async function startReceiver(): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(new URL(import.meta.url).pathname, ['--receiver'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(m as number)));
  return { url: `http://127.0.0.1:${port}`, child };
}

async function raw(url: string): Promise<number> {
  const pool = new Pool(url, { connections: CONCURRENCY });
  const body = JSON.stringify({ type: 'bench.event', timestamp: new Date().toISOString(), data: DATA });
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < N) {
      const res = await pool.request({ path: '/raw', method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.body.dump();
      if (res.statusCode !== 204) throw new Error(`raw: ${res.statusCode}`);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return N / seconds;
}

async function durable(store: Store, url: string): Promise<{ publish: number; batched: number; deliver: number }> {
  const sender = createSender({ store, allowPrivateAddresses: ['127.0.0.1'] });
  await sender.subscriptions.create({ url: `${url}/durable` });
  let started = performance.now();
  for (let i = 0; i < N; i++) await sender.publish('bench.event', DATA);
  const publish = N / ((performance.now() - started) / 1000);
  // Completion is counted from the worker's own attempt events: polling the store for counts would
  // put extra queries on the same thread and database as the deliveries being measured.
  let succeeded = 0;
  let finish!: (error?: Error) => void;
  const finished = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve())));
  const worker = sender.worker({
    concurrency: CONCURRENCY, perEndpointConcurrency: CONCURRENCY, pollIntervalMs: 20,
    onAttempt: ({ attempt, outcome }) => {
      if (outcome.kind !== 'succeeded') finish(new Error(`${store.kind}: an attempt failed (${attempt.error})`));
      else if (++succeeded === N) finish();
    },
  });
  started = performance.now();
  worker.start();
  await finished;
  const deliver = N / ((performance.now() - started) / 1000);
  const counts = await store.countDeliveries();
  if (counts.succeeded !== N) throw new Error(`${store.kind}: ${counts.succeeded} of ${N} deliveries recorded as succeeded`);
  await worker.stop();
  // Batched publishes after the delivery run, so the worker above has exactly N deliveries to send.
  started = performance.now();
  for (let i = 0; i < N; i += BATCH) await sender.publishMany(Array.from({ length: Math.min(BATCH, N - i) }, () => ({ type: 'bench.event', data: DATA })));
  const batched = N / ((performance.now() - started) / 1000);
  return { publish, batched, deliver };
}

async function pgStore(): Promise<{ store: Store; drop(): Promise<void> } | undefined> {
  const schema = `bench_${process.pid}`;
  try {
    const store = await postgresStore({ connectionString: PG_URL, schema });
    const { default: pg } = await import('pg');
    return {
      store,
      async drop() {
        await store.close();
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await c.end();
      },
    };
  } catch (error) {
    console.log(`postgres: skipped (${(error as Error).message})`);
    return undefined;
  }
}

async function main() {
  const receiver = await startReceiver();
  console.log(`send bench: ${N} deliveries, concurrency ${CONCURRENCY}, ~1 KiB payloads, loopback receiver answering 204 (Node ${process.version})`);
  await raw(receiver.url); // warm-up
  const rawFirst = await raw(receiver.url);

  let s: Awaited<ReturnType<typeof durable>> | undefined;
  if (STORES.includes('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'hookgen-bench-'));
    const sqlite = sqliteStore({ path: join(dir, 'bench.db') });
    s = await durable(sqlite, receiver.url);
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const pg = STORES.includes('postgres') ? await pgStore() : undefined;
  const p = pg && (await durable(pg.store, receiver.url));
  await pg?.drop();

  const rawRate = Math.max(rawFirst, await raw(receiver.url));
  const row = (name: string, deliver: number, publish?: number, batched?: number) =>
    console.log(`${name.padEnd(10)} ${deliver.toFixed(0).padStart(8)} deliveries/s   ratio ${(deliver / rawRate).toFixed(2).padStart(5)}${publish ? `   publish ${publish.toFixed(0).padStart(6)}/s` : ''}${batched ? `   batched ${batched.toFixed(0).padStart(6)}/s` : ''}`);
  row('raw', rawRate);
  if (s) row('sqlite', s.deliver, s.publish, s.batched);
  if (p) row('postgres', p.deliver, p.publish, p.batched);
  receiver.child.kill();
}
