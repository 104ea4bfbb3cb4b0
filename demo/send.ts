/**
 * The sending half of `npm start`: a sender on an embedded SQLite file publishes two events to a
 * subscriber, a typed Standard Webhooks receiver on loopback that fails its first request. The
 * worker retries on its schedule, and the receiver verifies what arrives with the official scheme.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReceiver, createSender, sqliteStore } from '../runtime/index.js';
import { standardWebhooks } from '../generated/standard-webhooks/index.js';

export async function sendAndReceive(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hookgen-demo-'));
  const store = sqliteStore({ path: join(dir, 'hookgen.db') });
  const sender = createSender({
    store,
    retrySchedule: [200, 400],
    // The subscriber is on this machine: let loopback through the SSRF guard, which refuses it by default.
    allowPrivateAddresses: ['127.0.0.1'],
  });

  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const server = createServer();
  let requests = 0;
  const received = new Promise<void>((resolve) => {
    const seen = new Set<string>();
    const receiver = createReceiver(standardWebhooks, { secret }).onAny((event) => {
      log(`  received ${event.key} ${JSON.stringify(event.payload.data)} (delivery ${event.id}, verified ${event.scheme})`);
      seen.add(event.key);
      if (seen.size === 2) resolve();
    });
    server.on('request', (req, res) => {
      requests += 1;
      if (requests === 1) {
        log('  the subscriber answers its first request 500: the worker will retry');
        res.writeHead(500).end();
        return;
      }
      void receiver.node(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;

  const subscription = await sender.subscriptions.create({ url, events: ['invoice.*'], secret });
  log(`  subscription ${subscription.id} → ${url} for invoice.*`);
  for (const [type, data] of [
    ['invoice.paid', { id: 'inv_1', amount: 4200, currency: 'eur' }],
    ['invoice.voided', { id: 'inv_2' }],
    ['customer.created', { id: 'cus_1' }],
  ] as const) {
    const result = await sender.publish(type, data);
    log(`  published ${type}: ${result.deliveries} delivery(ies), stored before publish returned`);
  }

  const worker = sender.worker({ pollIntervalMs: 50 });
  worker.start();
  await Promise.race([received, new Promise((_, reject) => setTimeout(() => reject(new Error('deliveries did not arrive within 10 s')), 10_000))]);
  await worker.stop();
  const deliveries = await store.listDeliveries({});
  log(`  ${deliveries.length} deliveries: ${deliveries.map((d) => `${d.status} after ${d.attempts} attempt(s)`).join(', ')}; ${requests} HTTP requests`);
  server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
