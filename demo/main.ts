/**
 * `npm start`: typed receivers for every built-in provider on loopback, fed each spec's signed
 * examples and a tampered copy of each, then a sender on an embedded SQLite store delivering to a
 * receiver. It prints what the typed handlers saw and why the rest was refused. Nothing to set up:
 * the examples carry their secrets and the time they were signed at.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReceiver, memoryDedupStore, type DedupStore, type NodeHandler } from '../runtime/index.js';
import { builtInSpecFiles } from '../generator/generate.js';
import { loadProvider, type ProviderModel } from '../generator/provider.js';
import { exampleBody, exampleReceiverOptions, providerOf } from '../generator/examples.js';
import { github } from '../generated/github/index.js';
import { stripe } from '../generated/stripe/index.js';
import { slack } from '../generated/slack/index.js';
import { standardWebhooks } from '../generated/standard-webhooks/index.js';
import { sendAndReceive } from './send.js';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const green = (s: string) => (color ? `\u001b[32m${s}\u001b[0m` : s);
const red = (s: string) => (color ? `\u001b[31m${s}\u001b[0m` : s);
const dim = (s: string) => (color ? `\u001b[2m${s}\u001b[0m` : s);

/** The receiver of the example being sent; the provider's server hands each request to it. */
let current: { node: NodeHandler } | undefined;
const lines: string[] = [];
const say = (line: string) => lines.push(line);

type Example = ProviderModel['examples'][number];

/**
 * A receiver for one example: its secret, settings and clock, and the provider's dedup store, so a
 * redelivery across examples is still noticed. The four best-known providers get typed handlers that
 * read their payloads; every other provider reports what onAny saw.
 */
function receiverFor(model: ProviderModel, example: Example, dedup: DedupStore) {
  const options = { ...exampleReceiverOptions(model, example), dedup };
  switch (model.runtime.id) {
    case 'github':
      return createReceiver(github, options)
        .on('issues.opened', (e) => say(`issue #${e.payload.issue.number} "${e.payload.issue.title}" opened by ${e.payload.sender.login}`))
        .on('push', (e) => say(`push to ${e.payload.ref}: ${e.payload.commits.length} commit(s) by ${e.payload.pusher.name}`))
        .on('ping', (e) => say(`ping from hook ${e.payload.hook_id}: "${e.payload.zen}"`));
    case 'stripe':
      return createReceiver(stripe, options)
        .on('payment_intent.succeeded', (e) => say(`payment ${e.payload.data.object.id}: ${e.payload.data.object.amount_received} ${e.payload.data.object.currency} received`))
        .on('invoice.paid', (e) => say(`invoice ${e.payload.data.object.number ?? e.payload.data.object.id} paid: ${e.payload.data.object.amount_paid} ${e.payload.data.object.currency}`))
        .on('customer.subscription.updated', (e) => say(`subscription ${e.payload.data.object.id} is now ${e.payload.data.object.status}`));
    case 'slack':
      return createReceiver(slack, options)
        .on('app_mention', (e) => say(`mentioned by ${e.payload.event.user} in ${e.payload.event.channel}: "${e.payload.event.text}"`))
        .on('slash_command', (e) => say(`slash command ${e.payload.command} from @${e.payload.user_name}`))
        .on('block_actions', (e) => say(`block actions: ${e.payload.actions.map((a) => a.action_id).join(', ')}`));
    case 'standard-webhooks':
      return createReceiver(standardWebhooks, options).onAny((e) => say(`${e.payload.type} at ${e.payload.timestamp}: ${JSON.stringify(e.payload.data)}`));
    default:
      return createReceiver(providerOf(model), options).onAny((e) => say(`${e.key}${e.id ? ` (delivery ${e.id})` : ''}`));
  }
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks` };
}

async function send(url: string, model: ProviderModel, example: Example, tamper: boolean, dedup: DedupStore): Promise<void> {
  let body = exampleBody(model, example);
  if (tamper) {
    body = Buffer.from(body);
    const at = Math.floor(body.length / 2);
    body[at] = body[at] === 0x41 ? 0x42 : 0x41;
  }
  const headers = Object.fromEntries(Object.entries(example.request.headers).map(([k, v]) => [k, String(v)]));
  current = receiverFor(model, example, dedup);
  lines.length = 0;
  const method = example.request.method ?? 'POST';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const target = new URL(example.request.url ?? '/', url);
  const response = await fetch(`${url}${target.search}`, { method, headers, body: hasBody ? new Uint8Array(body) : undefined });
  const text = await response.text();
  const label = tamper ? `${example.name}, one body byte changed` : example.name;
  if (response.ok) {
    // Every event these examples carry has a handler above; only a redelivery runs none.
    const what = tamper
      ? `${lines.join('; ')} ${dim('(a secret in the URL or the body signs no bytes: a changed body still passes; prefer a signing scheme)')}`
      : lines.length
        ? lines.join('; ')
        : text
          ? `answered ${JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text)}`
          : 'a redelivery (same delivery id): answered 200, handlers not run again';
    console.log(`  ${green('✓')} ${response.status}  ${label}\n        ${what}`);
  } else {
    const { error, message } = JSON.parse(text) as { error: string; message: string };
    console.log(`  ${red('✗')} ${response.status}  ${label}\n        ${error}: ${dim(message)}`);
  }
}

async function main(): Promise<void> {
  const models = builtInSpecFiles().map(loadProvider);
  console.log(`hookgen demo: typed receivers on 127.0.0.1, sent each spec's signed examples and a tampered copy\n`);
  for (const model of models) {
    const dedup = memoryDedupStore();
    const { server, url } = await listen((req, res) => void current!.node(req, res));
    const typed = model.authored.openEvents ? 'event names are the sender\'s' : `${model.runtime.events.length} typed events`;
    console.log(`${model.runtime.name} ${dim(`(${url}, ${typed})`)}`);
    for (const example of model.examples.filter((e) => e.expect.ok || e.expect.authenticated)) {
      await send(url, model, example, false, dedup);
      const signsBody = model.runtime.signatures.some((s) => s.algorithm !== 'token');
      if (example.expect.ok && !example.expect.handshake && signsBody) await send(url, model, example, true, dedup);
    }
    server.close();
    console.log('');
  }
  console.log(`Sending: a sender on an embedded SQLite store, its worker, and a typed receiver ${dim('(Standard Webhooks)')}`);
  await sendAndReceive((line) => console.log(line));
  console.log('');
  console.log(dim('Every example above is also a test: npm test runs them with their negatives.'));
}

await main();
