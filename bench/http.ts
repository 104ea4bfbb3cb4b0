/**
 * HTTP throughput of a generated GitHub receiver against the anchors, under load from autocannon.
 *
 *     npx tsc -p tsconfig.build.json && node dist/bench/http.js
 *
 * Servers, each in its own child process on 127.0.0.1 (the load generator runs in this process):
 *
 *   hookgen-node    `createReceiver(github, { secret })` with one `on('push')` handler, served by
 *                   `http.createServer(receiver.node)`.
 *   bare            node:http by hand: read the body, HMAC-SHA256 it, hex-decode the header, length
 *                   check + timingSafeEqual, JSON.parse, answer 204. Baseline (a): goal ≥ 0.9 of it.
 *   octokit         `@octokit/webhooks` `createNodeMiddleware(new Webhooks({ secret }))` with one
 *                   `on('push')` handler. Baseline (b): goal ≥ 1.8 of it.
 *   hookgen-hono    `receiver.fetch` under `@hono/node-server` (skipped with a note when that package
 *                   cannot be loaded).
 *   hookgen-fetch   `receiver.fetch` behind node:http with Node's own `Request` / `Response`.
 *
 * Every request is the same signed `push` delivery of exactly 1 KiB. Receivers run with dedup off:
 * with one delivery id every request after the first would be a duplicate and skip dispatch, and
 * neither baseline deduplicates (`--dedup` turns the memory LRU on, with a distinct id per request
 * through autocannon's `[<id>]` replacement, which costs the load generator a little per request).
 * Each server is checked before it is measured: the signed delivery gets 2xx, a tampered one 4xx.
 *
 * Method: a warm-up of `--warmup` seconds per server, then `--rounds` rounds; in each round every
 * server is loaded for `--duration` seconds with `--connections` connections, one after the other,
 * in an order that rotates from round to round (A B C D, B C D A, …), so drift on a shared machine is
 * spread over all of them. Reported per server: the median over rounds of autocannon's mean req/s
 * and of its p99 latency; the server's own CPU time per request (process.cpuUsage of the child around
 * each round: on a busy machine it does not count time spent waiting for a core); and the ratios of
 * hookgen to the baselines, as ratios of medians and as medians of per-round (paired) ratios. The
 * load average and the CPU count are printed before and after.
 *
 * Options: --duration=S (10)  --rounds=N (2)  --warmup=S (1)  --connections=N (10)
 *          --servers=hookgen-node,bare,octokit,hookgen-hono,hookgen-fetch  --dedup  --json
 * The defaults take a little under 2 minutes with the five servers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const SECRET = 'bench-http-secret';
const PATH = '/api/github/webhooks';
const SERVER_IDS = ['hookgen-node', 'bare', 'octokit', 'hookgen-hono', 'hookgen-fetch'] as const;
type ServerId = (typeof SERVER_IDS)[number];

// ---------------------------------------------------------------------------------------------
// The delivery

/** A `push` payload padded to exactly 1 KiB of JSON. */
function pushBody(): string {
  const payload = {
    ref: 'refs/heads/main',
    before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
    after: '0000000000000000000000000000000000000000',
    repository: { id: 1296269, name: 'Hello-World', full_name: 'octocat/Hello-World', private: false, owner: { login: 'octocat', id: 1 } },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    sender: { login: 'octocat', id: 1 },
    created: false,
    deleted: false,
    forced: false,
    commits: [],
    padding: '',
  };
  const base = JSON.stringify(payload).length;
  payload.padding = 'x'.repeat(1024 - base);
  const body = JSON.stringify(payload);
  if (Buffer.byteLength(body) !== 1024) throw new Error(`body is ${Buffer.byteLength(body)} bytes`);
  return body;
}

const BODY = pushBody();
const SIGNATURE = `sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`;

function headersFor(dedup: boolean): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': dedup ? '[<id>]' : '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'x-hub-signature-256': SIGNATURE,
    'user-agent': 'GitHub-Hookshot/bench',
  };
}

// ---------------------------------------------------------------------------------------------
// Servers (child side)

type ToChild = { type: 'cpu' };
type ToParent = { type: 'listening'; port: number } | { type: 'cpu'; micros: number } | { type: 'unavailable'; reason: string };

async function serve(id: ServerId, dedup: boolean): Promise<void> {
  const send = (message: ToParent) => process.send!(message);
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  let hono: { close(callback?: () => void): void; address(): AddressInfo | string | null } | undefined;

  if (id === 'hookgen-node' || id === 'hookgen-fetch' || id === 'hookgen-hono') {
    const { createReceiver } = await import('../runtime/index.js');
    const { github } = await import('../generated/github/index.js');
    const receiver = createReceiver(github, { secret: SECRET, ...(dedup ? {} : { dedup: false }) }).on('push', (event) => {
      void event.payload.ref;
    });
    if (id === 'hookgen-node') handler = (req, res) => void receiver.node(req, res);
    else if (id === 'hookgen-fetch') handler = (req, res) => void fetchBridge(receiver.fetch, req, res);
    else {
      let serveHono: (options: { fetch: (request: Request) => Promise<Response>; port: number; hostname: string }, listening: (info: AddressInfo) => void) => typeof hono;
      try {
        ({ serve: serveHono } = (await import('@hono/node-server' as string)) as { serve: typeof serveHono });
      } catch (error) {
        send({ type: 'unavailable', reason: `@hono/node-server cannot be loaded (${(error as Error).message.split('\n')[0]})` });
        return;
      }
      hono = serveHono({ fetch: receiver.fetch, port: 0, hostname: '127.0.0.1' }, (info) => send({ type: 'listening', port: info.port }));
      handler = () => undefined;
    }
  } else if (id === 'bare') {
    const secret = Buffer.from(SECRET);
    handler = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        const header = req.headers['x-hub-signature-256'];
        const expected = createHmac('sha256', secret).update(body).digest();
        const given = typeof header === 'string' && header.startsWith('sha256=') ? Buffer.from(header.slice(7), 'hex') : undefined;
        if (!given || given.length !== expected.length || !timingSafeEqual(given, expected)) {
          res.writeHead(401).end();
          return;
        }
        try {
          JSON.parse(body.toString('utf8'));
        } catch {
          res.writeHead(400).end();
          return;
        }
        res.writeHead(204).end();
      });
    };
  } else {
    const { Webhooks, createNodeMiddleware } = await import('@octokit/webhooks');
    const webhooks = new Webhooks({ secret: SECRET });
    webhooks.on('push', ({ payload }) => {
      void payload.ref;
    });
    const middleware = createNodeMiddleware(webhooks, { path: PATH, log: { debug() {}, info() {}, warn() {}, error() {} } });
    handler = (req, res) => void middleware(req, res);
  }

  process.on('message', (message: ToChild) => {
    if (message.type === 'cpu') {
      const cpu = process.cpuUsage();
      send({ type: 'cpu', micros: cpu.user + cpu.system });
    }
  });
  process.on('disconnect', () => {
    hono?.close();
    process.exit(0);
  });
  if (hono) return;
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => send({ type: 'listening', port: (server.address() as AddressInfo).port }));
}

/** node:http → Node's own Request → receiver.fetch → Response → node:http. */
async function fetchBridge(fetchHandler: (request: Request) => Promise<Response>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const response = await fetchHandler(new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url}`, { method: req.method, headers, body: body.length ? (body as unknown as BodyInit) : undefined }));
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => (out[key] = value));
  res.writeHead(response.status, out);
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
}

// ---------------------------------------------------------------------------------------------
// Load (parent side)

interface Options {
  duration: number;
  rounds: number;
  warmup: number;
  connections: number;
  servers: ServerId[];
  dedup: boolean;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    flags.set(key!, value ?? 'true');
  }
  const number = (name: string, fallback: number) => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  const servers = (flags.get('servers')?.split(',') ?? [...SERVER_IDS]) as ServerId[];
  for (const s of servers) if (!SERVER_IDS.includes(s)) throw new Error(`unknown server ${s}; known: ${SERVER_IDS.join(', ')}`);
  return {
    duration: number('duration', 10),
    rounds: Math.round(number('rounds', 2)),
    warmup: number('warmup', 1),
    connections: Math.round(number('connections', 10)),
    servers,
    dedup: flags.get('dedup') === 'true',
    json: flags.get('json') === 'true',
  };
}

interface Child {
  id: ServerId;
  process: ChildProcess;
  port: number;
}

function start(id: ServerId, dedup: boolean): Promise<Child | { id: ServerId; unavailable: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', id, ...(dedup ? ['--dedup'] : [])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message: ToParent) => {
      if (message.type === 'listening') resolve({ id, process: child, port: message.port });
      else if (message.type === 'unavailable') {
        child.kill();
        resolve({ id, unavailable: message.reason });
      }
    });
    child.once('exit', (code) => reject(new Error(`server ${id} exited with ${code}`)));
  });
}

function cpuOf(child: Child): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: ToParent) => {
      if (message.type !== 'cpu') return;
      child.process.off('message', onMessage);
      resolve(message.micros);
    };
    child.process.on('message', onMessage);
    child.process.send({ type: 'cpu' } satisfies ToChild);
  });
}

/** The signed delivery is accepted (2xx) and a tampered one refused (4xx). */
async function check(child: Child): Promise<void> {
  const url = `http://127.0.0.1:${child.port}${PATH}`;
  const headers = { ...headersFor(false), 'x-github-delivery': `check-${Date.now()}` };
  const good = await fetch(url, { method: 'POST', headers, body: BODY });
  await good.arrayBuffer();
  if (good.status >= 300) throw new Error(`${child.id}: a signed delivery got ${good.status}`);
  const bad = await fetch(url, { method: 'POST', headers: { ...headers, 'x-github-delivery': `check2-${Date.now()}` }, body: BODY.replace('octocat', 'octocaT') });
  await bad.arrayBuffer();
  if (bad.status < 400 || bad.status >= 500) throw new Error(`${child.id}: a tampered delivery got ${bad.status}`);
}

interface Round {
  rps: number;
  p99: number;
  p50: number;
  non2xx: number;
  errors: number;
  requests: number;
  cpuMicros: number;
}

async function load(child: Child, options: Options, seconds: number): Promise<Round> {
  const before = await cpuOf(child);
  const result = await autocannon({
    url: `http://127.0.0.1:${child.port}${PATH}`,
    method: 'POST',
    headers: headersFor(options.dedup),
    body: BODY,
    connections: options.connections,
    duration: seconds,
    idReplacement: options.dedup,
  });
  const after = await cpuOf(child);
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    p50: result.latency.p50,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    requests: result.requests.total,
    cpuMicros: after - before,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const load1 = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(options: Options): Promise<void> {
  const say = (text: string) => {
    if (!options.json) console.log(text);
  };
  say(`hookgen bench/http — node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'}), load average ${load1()}`);
  say(`${options.connections} connections, 1 KiB signed GitHub push, ${options.rounds} round(s) of ${options.duration} s per server after ${options.warmup} s of warm-up, dedup ${options.dedup ? 'on (distinct ids)' : 'off'}`);

  const children: Child[] = [];
  const notes: string[] = [];
  for (const id of options.servers) {
    const started = await start(id, options.dedup);
    if ('unavailable' in started) notes.push(`${id}: skipped, ${started.unavailable}`);
    else children.push(started);
  }
  try {
    for (const child of children) await check(child);
    for (const child of children) await load(child, options, options.warmup);
    const rounds = new Map<ServerId, Round[]>(children.map((c) => [c.id, []]));
    for (let r = 0; r < options.rounds; r++) {
      const order = children.map((_, i) => children[(i + r) % children.length]!);
      for (const child of order) {
        const round = await load(child, options, options.duration);
        rounds.get(child.id)!.push(round);
        say(`  round ${r + 1} ${child.id.padEnd(14)} ${round.rps.toFixed(0).padStart(7)} req/s  p99 ${String(round.p99).padStart(3)} ms  ${(round.cpuMicros / round.requests).toFixed(1).padStart(6)} µs CPU/req${round.non2xx || round.errors ? `  non-2xx ${round.non2xx} errors ${round.errors}` : ''}`);
      }
    }

    const summary = children.map((c) => {
      const list = rounds.get(c.id)!;
      return {
        server: c.id,
        rps: median(list.map((x) => x.rps)),
        p99: median(list.map((x) => x.p99)),
        p50: median(list.map((x) => x.p50)),
        cpuPerRequest: median(list.map((x) => x.cpuMicros / Math.max(1, x.requests))),
        non2xx: list.reduce((n, x) => n + x.non2xx, 0),
        errors: list.reduce((n, x) => n + x.errors, 0),
        rounds: list.map((x) => Math.round(x.rps)),
      };
    });
    const byId = new Map(summary.map((s) => [s.server, s]));
    const ratios: Array<{ subject: ServerId; baseline: ServerId; goal: number | undefined; ratio: number; paired: number; cpuRatio: number }> = [];
    for (const subject of ['hookgen-node', 'hookgen-hono', 'hookgen-fetch'] as const) {
      for (const [baseline, goal] of [['bare', 0.9], ['octokit', 1.8]] as const) {
        const s = byId.get(subject);
        const b = byId.get(baseline);
        if (!s || !b) continue;
        const paired = median(rounds.get(subject)!.map((x, i) => x.rps / rounds.get(baseline)![i]!.rps));
        ratios.push({ subject, baseline, goal: subject === 'hookgen-node' ? goal : undefined, ratio: s.rps / b.rps, paired, cpuRatio: b.cpuPerRequest / s.cpuPerRequest });
      }
    }

    if (options.json) {
      console.log(JSON.stringify({ node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), options, summary, ratios, notes }, null, 2));
      return;
    }
    say('');
    say(`${'server'.padEnd(14)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'µs CPU/req'.padStart(11)}  rounds (req/s)`);
    for (const s of summary) {
      say(`${s.server.padEnd(14)} ${s.rps.toFixed(0).padStart(8)} ${String(s.p50).padStart(7)} ${String(s.p99).padStart(7)} ${s.cpuPerRequest.toFixed(1).padStart(11)}  ${s.rounds.join(', ')}${s.non2xx || s.errors ? `  (non-2xx ${s.non2xx}, errors ${s.errors})` : ''}`);
    }
    say('');
    say('ratios (req/s of medians; paired = median of per-round ratios; CPU = baseline CPU/req ÷ hookgen CPU/req)');
    for (const r of ratios) {
      const verdict = r.goal === undefined ? '' : r.ratio >= r.goal ? `  goal ≥ ${r.goal}: met` : `  goal ≥ ${r.goal}: NOT met`;
      say(`  ${r.subject} / ${r.baseline}: ${r.ratio.toFixed(2)}  (paired ${r.paired.toFixed(2)}, CPU ${r.cpuRatio.toFixed(2)})${verdict}`);
    }
    for (const note of notes) say(`note: ${note}`);
    say(`load average after: ${load1()}`);
  } finally {
    for (const child of children) child.process.disconnect();
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--serve') {
  await serve(argv[1] as ServerId, argv.includes('--dedup'));
} else {
  await main(parseOptions(argv));
}
