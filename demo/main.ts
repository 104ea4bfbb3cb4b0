/**
 * `npm start`: typed receivers for every built-in provider on loopback, fed each spec's signed
 * examples and a tampered copy of each. It prints what the typed handlers saw and why the rest was
 * refused. Nothing to set up: the examples carry their secrets and the time they were signed at.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createReceiver, type Receiver } from '../runtime/index.js';
import { builtInSpecFiles } from '../generator/generate.js';
import { loadProvider, type ProviderModel } from '../generator/provider.js';
import { github } from '../generated/github/index.js';
import { stripe } from '../generated/stripe/index.js';
import { slack } from '../generated/slack/index.js';
import { standardWebhooks } from '../generated/standard-webhooks/index.js';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const green = (s: string) => (color ? `\u001b[32m${s}\u001b[0m` : s);
const red = (s: string) => (color ? `\u001b[31m${s}\u001b[0m` : s);
const dim = (s: string) => (color ? `\u001b[2m${s}\u001b[0m` : s);

/** The clock the receivers read: set to each example's signing time before it is sent. */
let clockMs = Date.now();
const now = () => clockMs;
const lines: string[] = [];
const say = (line: string) => lines.push(line);

function receivers(secrets: Record<string, string[]>, credentials: Record<string, Record<string, string>>) {
  const options = (id: string) => ({ secret: secrets[id], credentials: credentials[id], now });
  return {
    github: createReceiver(github, options('github'))
      .on('issues.opened', (e) => say(`issue #${e.payload.issue.number} "${e.payload.issue.title}" opened by ${e.payload.sender.login}`))
      .on('push', (e) => say(`push to ${e.payload.ref}: ${e.payload.commits.length} commit(s) by ${e.payload.pusher.name}`))
      .on('ping', (e) => say(`ping from hook ${e.payload.hook_id}: "${e.payload.zen}"`)),
    stripe: createReceiver(stripe, options('stripe'))
      .on('payment_intent.succeeded', (e) => say(`payment ${e.payload.data.object.id}: ${e.payload.data.object.amount_received} ${e.payload.data.object.currency} received`))
      .on('invoice.paid', (e) => say(`invoice ${e.payload.data.object.number ?? e.payload.data.object.id} paid: ${e.payload.data.object.amount_paid} ${e.payload.data.object.currency}`))
      .on('customer.subscription.updated', (e) => say(`subscription ${e.payload.data.object.id} is now ${e.payload.data.object.status}`)),
    slack: createReceiver(slack, options('slack'))
      .on('app_mention', (e) => say(`mentioned by ${e.payload.event.user} in ${e.payload.event.channel}: "${e.payload.event.text}"`))
      .on('slash_command', (e) => say(`slash command ${e.payload.command} from @${e.payload.user_name}`))
      .on('block_actions', (e) => say(`block actions: ${e.payload.actions.map((a) => a.action_id).join(', ')}`)),
    'standard-webhooks': createReceiver(standardWebhooks, options('standard-webhooks')).onAny((e) =>
      say(`${e.payload.type} at ${e.payload.timestamp}: ${JSON.stringify(e.payload.data)}`),
    ),
  } satisfies Record<string, Receiver<never> | Receiver<typeof github> | Receiver<typeof stripe> | Receiver<typeof slack> | Receiver<typeof standardWebhooks>>;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks` };
}

async function send(url: string, model: ProviderModel, example: ProviderModel['examples'][number], tamper: boolean): Promise<void> {
  let body: Buffer = example.request.bodyFile ? readFileSync(join(model.dir, example.request.bodyFile)) : Buffer.from(example.request.body ?? '');
  if (tamper) {
    body = Buffer.from(body);
    const at = Math.floor(body.length / 2);
    body[at] = body[at] === 0x41 ? 0x42 : 0x41;
  }
  const headers = Object.fromEntries(Object.entries(example.request.headers).map(([k, v]) => [k, String(v)]));
  clockMs = example.now !== undefined ? example.now * 1000 : Date.now();
  lines.length = 0;
  const response = await fetch(url, { method: example.request.method ?? 'POST', headers, body: new Uint8Array(body) });
  const text = await response.text();
  const label = tamper ? `${example.name}, one body byte changed` : example.name;
  if (response.ok) {
    // Every event these examples carry has a handler above; only a redelivery runs none.
    const what = lines.length ? lines.join('; ') : text ? `answered ${JSON.stringify(text)}` : 'a redelivery (same delivery id): answered 200, handlers not run again';
    console.log(`  ${green('✓')} ${response.status}  ${label}\n        ${what}`);
  } else {
    const { error, message } = JSON.parse(text) as { error: string; message: string };
    console.log(`  ${red('✗')} ${response.status}  ${label}\n        ${error}: ${dim(message)}`);
  }
}

async function main(): Promise<void> {
  const models = builtInSpecFiles().map(loadProvider);
  // Each example names the secret it was signed with; a receiver accepts several (as during a rotation).
  const secrets: Record<string, string[]> = {};
  const credentials: Record<string, Record<string, string>> = {};
  for (const m of models) {
    const sendable = m.examples.filter((e) => e.expect.ok || e.expect.authenticated);
    secrets[m.runtime.id] = [...new Set(sendable.flatMap((e) => (e.secret ? [e.secret] : [])))];
    credentials[m.runtime.id] = Object.assign({}, ...sendable.map((e) => e.credentials ?? {}));
  }
  const all = receivers(secrets, credentials);
  console.log(`hookgen demo: typed receivers on 127.0.0.1, sent each spec's signed examples and a tampered copy\n`);
  for (const model of models) {
    const receiver = all[model.runtime.id as keyof typeof all];
    const { server, url } = await listen(receiver.node);
    const typed = model.authored.openEvents ? 'event names are the sender\'s' : `${model.runtime.events.length} typed events`;
    console.log(`${model.runtime.name} ${dim(`(${url}, ${typed})`)}`);
    for (const example of model.examples.filter((e) => e.expect.ok || e.expect.authenticated)) {
      await send(url, model, example, false);
      if (example.expect.ok && !example.expect.handshake) await send(url, model, example, true);
    }
    server.close();
    console.log('');
  }
  console.log(dim('Every example above is also a test: npm test runs them with their negatives.'));
}

await main();
