/**
 * Receive throughput of each framework adapter, relative to `receiver.node` on bare node:http.
 *
 *     npx tsc -p tsconfig.build.json && node dist/bench/adapters.js
 *
 * Every target serves the same GitHub receiver (dedup off, one no-op `issues.opened` handler) in
 * its own child process, on 127.0.0.1. This process loads each target in turn with autocannon:
 * 10 connections, the same signed 1 KiB `issues.opened` delivery on every request, rounds of ~5 s.
 * The targets alternate, and their order rotates from round to round (A B C, B C A, …), so drift
 * on a shared machine is spread over all of them. Each target is checked first: the signed
 * delivery gets 200 and a tampered one 401, so only the verified path is measured.
 *
 * Reported: the median over rounds of autocannon's mean req/s, the ratio of medians to the node
 * handler, and the median of per-round ratios (paired: a target and the baseline ran minutes
 * apart at most). Also requests per CPU-second of the server process (its own process.cpuUsage
 * around each round), paired the same way: on a shared machine that is the steadier measure of
 * what each adapter costs, since it does not count time the server spent waiting for a core.
 * The load average before and after is printed.
 *
 * AWS Lambda has no HTTP server to load: `lambda (in-process)` times the Lambda handler on a
 * function-URL event against `receiver.handle` on the same request, in one process, with no I/O.
 *
 * Options: --rounds=N (5)  --duration=S (5)  --connections=N (10)  --targets=node,express5,…  --json
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import autocannon from 'autocannon';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { createReceiver, signRequest } from '../runtime/index.js';
import { github } from '../generated/github/index.js';
import { createExpressHandler } from '../runtime/adapters/express.js';
import { webhookPlugin } from '../runtime/adapters/fastify.js';
import { createKoaMiddleware } from '../runtime/adapters/koa.js';
import { createPagesApiHandler } from '../runtime/adapters/next.js';
import { createLambdaHandler } from '../runtime/adapters/lambda.js';

const SECRET = 'bench-adapters-secret';
const PATH = '/webhooks/github';

/** A signed `issues.opened` delivery of exactly 1 KiB. */
function delivery(): { headers: Record<string, string>; body: string } {
  const payload = { action: 'opened', issue: { number: 1347, title: 'Found a bug', state: 'open', body: '' }, repository: { id: 1296269, full_name: 'octocat/Hello-World' }, sender: { login: 'octocat', id: 1 } };
  payload.issue.body = 'x'.repeat(1024 - Buffer.byteLength(JSON.stringify(payload)));
  const body = JSON.stringify(payload);
  if (Buffer.byteLength(body) !== 1024) throw new Error('body is not 1 KiB');
  const { headers } = signRequest(github, { secret: SECRET, body, id: '72d3162e-cc78-11e3-81ab-4c9367dc0958', event: 'issues', headers: { 'content-type': 'application/json' } });
  return { headers: { ...headers }, body };
}

type Delivery = ReturnType<typeof delivery>;

function receiver() {
  return createReceiver(github, { secret: SECRET, dedup: false }).on('issues.opened', () => undefined);
}

// ---------------------------------------------------------------------------------------------
// Targets: each starts a server on an ephemeral port and returns it

const express4 = createRequire(import.meta.url)('express4') as typeof express;

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

const TARGETS: Record<string, { label: string; start: () => Promise<number> }> = {
  node: { label: 'receiver.node on node:http (baseline)', start: () => listen(createServer(receiver().node)) },
  express5: {
    label: 'Express 5 createExpressHandler',
    start: () => {
      const app = express();
      app.post(PATH, createExpressHandler(receiver()));
      app.use(express.json());
      return listen(createServer(app));
    },
  },
  express4: {
    label: 'Express 4 createExpressHandler',
    start: () => {
      const app = express4();
      app.post(PATH, createExpressHandler(receiver()));
      app.use(express4.json());
      return listen(createServer(app));
    },
  },
  fastify: {
    label: 'Fastify 5 webhookPlugin',
    start: async () => {
      const app = Fastify();
      app.register(webhookPlugin, { receiver: receiver(), prefix: PATH });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return (app.server.address() as AddressInfo).port;
    },
  },
  koa: {
    label: 'Koa createKoaMiddleware',
    start: () => {
      const app = new Koa();
      app.use(createKoaMiddleware(receiver(), { path: PATH }));
      return listen(createServer(app.callback()));
    },
  },
  hono: {
    label: 'Hono receiver.fetch on @hono/node-server',
    start: () =>
      new Promise((resolve) => {
        const r = receiver();
        const app = new Hono();
        app.post(PATH, (c) => r.fetch(c.req.raw));
        serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
      }),
  },
  fetch: {
    label: 'receiver.fetch on @hono/node-server, no Hono router',
    start: () =>
      new Promise((resolve) => {
        const r = receiver();
        serve({ fetch: (request) => r.fetch(request), port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
      }),
  },
  'next-pages': { label: 'Next.js Pages createPagesApiHandler (node:http)', start: () => listen(createServer(createPagesApiHandler(receiver()))) },
};

// ---------------------------------------------------------------------------------------------
// Child: serve one target

async function serveOne(name: string) {
  const port = await TARGETS[name]!.start();
  // The parent asks for this process's CPU time around each round: requests per CPU-second of the
  // server is steadier than req/s on a machine other work is also using.
  process.on('message', () => process.send!({ cpu: process.cpuUsage() }));
  process.send!({ port });
}

// ---------------------------------------------------------------------------------------------
// Parent: check, warm up, load in rotating rounds

interface Options {
  rounds: number;
  duration: number;
  connections: number;
  targets: string[];
  json: boolean;
}

function parseOptions(argv: string[]): Options {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return {
    rounds: Number(get('rounds') ?? 5),
    duration: Number(get('duration') ?? 5),
    connections: Number(get('connections') ?? 10),
    targets: (get('targets') ?? Object.keys(TARGETS).join(',')).split(','),
    json: argv.includes('--json'),
  };
}

interface Served {
  child: ChildProcess;
  url: string;
}

async function startChild(name: string): Promise<Served> {
  const child = fork(fileURLToPath(import.meta.url), [`--serve=${name}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}${PATH}` };
}

/** The server process's CPU time (user + system), in seconds. */
function cpuOf(served: Served): Promise<number> {
  return new Promise((resolve) => {
    served.child.once('message', (m) => {
      const { user, system } = (m as { cpu: NodeJS.CpuUsage }).cpu;
      resolve((user + system) / 1e6);
    });
    served.child.send('cpu');
  });
}

async function check(name: string, url: string, signed: Delivery) {
  const body = Buffer.from(signed.body);
  const ok = await fetch(url, { method: 'POST', headers: signed.headers, body });
  const tampered = Buffer.from(body);
  tampered[500] = tampered[500]! ^ 1;
  const bad = await fetch(url, { method: 'POST', headers: signed.headers, body: tampered });
  if (ok.status !== 200 || bad.status !== 401) throw new Error(`${name}: signed ${ok.status} (want 200), tampered ${bad.status} (want 401): ${await ok.text()}`);
}

async function load(served: Served, signed: Delivery, seconds: number, connections: number) {
  const cpuBefore = await cpuOf(served);
  const result = await autocannon({ url: served.url, method: 'POST', headers: signed.headers, body: signed.body, connections, duration: seconds });
  const cpu = (await cpuOf(served)) - cpuBefore;
  return { rps: result.requests.average, perCpu: result.requests.total / cpu, non2xx: result.non2xx, errors: result.errors };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Lambda: the handler on a function-URL event vs receiver.handle on the same request, in this process. */
async function lambdaInProcess(signed: Delivery, ms: number) {
  const r = receiver();
  const handler = createLambdaHandler(r);
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: PATH,
    rawQueryString: '',
    headers: { ...signed.headers, host: 'abc.lambda-url.us-east-1.on.aws' },
    requestContext: { http: { method: 'POST', path: PATH } },
    body: Buffer.from(signed.body).toString('base64'),
    isBase64Encoded: true,
  };
  const request = { method: 'POST', url: PATH, headers: signed.headers, body: Buffer.from(signed.body) };
  if ((await handler(event)).statusCode !== 200 || (await r.handle(request)).status !== 200) throw new Error('lambda check failed');
  const time = async (fn: () => Promise<unknown>) => {
    let n = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (let i = 0; i < 100; i++) await fn();
      n += 100;
    }
    return n / (ms / 1000);
  };
  const handle: number[] = [];
  const lambda: number[] = [];
  for (let round = 0; round < 5; round++) {
    handle.push(await time(() => r.handle(request)));
    lambda.push(await time(() => handler(event)));
  }
  return { handle: median(handle), lambda: median(lambda), ratio: median(lambda.map((l, i) => l / handle[i]!)) };
}

async function main(options: Options) {
  const signed = delivery();
  const loadBefore = os.loadavg();
  const children = new Map<string, Served>();
  try {
    for (const name of options.targets) {
      if (!TARGETS[name]) throw new Error(`unknown target ${name}; known: ${Object.keys(TARGETS).join(', ')}`);
      const started = await startChild(name);
      children.set(name, started);
      await check(name, started.url, signed);
    }
    for (const served of children.values()) await load(served, signed, 2, options.connections); // warm-up
    const rounds: Record<string, Array<Awaited<ReturnType<typeof load>>>> = Object.fromEntries(options.targets.map((t) => [t, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = options.targets.map((_, i) => options.targets[(i + round) % options.targets.length]!);
      for (const name of order) {
        const result = await load(children.get(name)!, signed, options.duration, options.connections);
        rounds[name]!.push(result);
        if (!options.json) process.stderr.write(`round ${round + 1}/${options.rounds} ${name}: ${result.rps.toFixed(0)} req/s, ${result.perCpu.toFixed(0)} req per server CPU-s\n`);
      }
    }
    const lambda = await lambdaInProcess(signed, 300);
    const loadAfter = os.loadavg();
    const base = rounds.node;
    const rows = options.targets.map((name) => {
      const rps = rounds[name]!.map((r) => r.rps);
      const perCpu = rounds[name]!.map((r) => r.perCpu);
      return {
        target: name,
        label: TARGETS[name]!.label,
        rps: median(rps),
        min: Math.min(...rps),
        max: Math.max(...rps),
        ratio: base ? median(rps) / median(base.map((r) => r.rps)) : undefined,
        paired: base ? median(rps.map((x, i) => x / base[i]!.rps)) : undefined,
        perCpu: median(perCpu),
        cpuRatio: base ? median(perCpu.map((x, i) => x / base[i]!.perCpu)) : undefined,
        non2xx: rounds[name]!.reduce((s, r) => s + r.non2xx + r.errors, 0),
      };
    });
    const env = { node: process.version, cpus: os.cpus().length, loadBefore, loadAfter, ...options };
    if (options.json) {
      console.log(JSON.stringify({ env, rows, lambda }, null, 2));
      return;
    }
    console.log(`Node ${env.node}, ${env.cpus} CPUs, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after`);
    console.log(`${options.rounds} rounds × ${options.duration} s per target, ${options.connections} connections, signed 1 KiB GitHub issues.opened\n`);
    console.log('| target | req/s (median) | range | vs node | paired | req per server CPU-s | paired, by CPU | non-2xx/errors |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) {
      const f = (x: number | undefined) => x?.toFixed(2) ?? '–';
      console.log(`| ${row.label} | ${row.rps.toFixed(0)} | ${row.min.toFixed(0)}–${row.max.toFixed(0)} | ${f(row.ratio)} | ${f(row.paired)} | ${row.perCpu.toFixed(0)} | ${f(row.cpuRatio)} | ${row.non2xx} |`);
    }
    console.log(`\nAWS Lambda (in-process, function-URL event, base64 body): ${lambda.lambda.toFixed(0)} ops/s vs receiver.handle ${lambda.handle.toFixed(0)} ops/s, paired ratio ${lambda.ratio.toFixed(2)}`);
  } finally {
    for (const { child } of children.values()) child.kill();
  }
}

const serveArg = process.argv.find((a) => a.startsWith('--serve='));
if (serveArg) await serveOne(serveArg.slice('--serve='.length));
else await main(parseOptions(process.argv.slice(2)));
