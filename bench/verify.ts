/**
 * Benchmark of `receiver.verify` against hand-written node:crypto verification.
 *
 *     npx tsc -p tsconfig.build.json && node dist/bench/verify.js      (or: npm run bench)
 *
 * For GitHub, Stripe and Standard Webhooks, with JSON bodies of 1 KiB and 64 KiB (Buffers, as the
 * node adapter passes them), three variants verify the same signed bytes:
 *
 *   hookgen     `await receiver.verify(request)` on a receiver built once (dedup off, fixed clock).
 *   raw         What a careful hand-written receiver does: read and parse the signature header,
 *               HMAC-SHA256 the signed content, decode the candidate, length check + timingSafeEqual,
 *               and for Stripe / Standard Webhooks the timestamp tolerance check. Keys are decoded
 *               once, outside the timed loop (as hookgen decodes them once in createReceiver).
 *   raw+parse   raw, then JSON.parse of the body and the event name read: what hookgen's verify
 *               also returns, so this is the like-for-like comparison.
 *
 * Method: each provider runs in its own child process (a server usually serves one provider, and
 * sharing a process could make hookgen's shared runtime code polymorphic while the hand-written
 * functions stay monomorphic; `--in-process` runs everything in one process instead, which on
 * Node 20 gave the same figures within noise). In each
 * process, every variant is checked once for the right answer, warmed up, then timed in several
 * rounds of ~0.5 s whose order rotates (A B C, B C A, C A B, ...), so drift such as GC pressure or
 * CPU frequency is spread over all variants. A round runs batches of operations sized to ~1 ms and
 * reads the clock between batches. The figure reported is the median ops/s over the rounds.
 *
 * Options: --rounds=N (5)  --round-ms=N (500)  --warmup-ms=N (300)
 *          --provider=github,stripe,standard-webhooks  --size=1k,64k  --impl=hookgen,raw,raw+parse
 *          --clock=wall|cpu (wall)  --in-process  --json
 *   e.g. profile one case: node --cpu-prof dist/bench/verify.js --in-process --provider=github --size=1k --impl=hookgen
 *
 * The table's ratios are ratios of the medians. Below it, for judging noise: each variant's round-to-round
 * range, the paired ratios (median of per-round ratios; the variants of one round ran back to back) and
 * the ratios by the other clock. On a busy machine `--clock=cpu` (this process's CPU time) is steadier.
 * `ceiling` is raw+parse/raw: the most hookgen/raw can be while verify returns a parsed payload.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createReceiver, signRequest, type Provider } from '../runtime/index.js';
import { github } from '../generated/github/index.js';
import { stripe } from '../generated/stripe/index.js';
import { standardWebhooks } from '../generated/standard-webhooks/index.js';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  rounds: number;
  roundMs: number;
  warmupMs: number;
  providers: ProviderId[];
  sizes: SizeId[];
  impls: ImplId[];
  inProcess: boolean;
  /** Which time the ops/s are computed from: wall clock (default) or this process's CPU time. */
  clock: 'wall' | 'cpu';
  worker: boolean;
  json: boolean;
}

const PROVIDER_IDS = ['github', 'stripe', 'standard-webhooks'] as const;
const SIZE_IDS = ['1k', '64k'] as const;
const IMPL_IDS = ['hookgen', 'raw', 'raw+parse'] as const;
type ProviderId = (typeof PROVIDER_IDS)[number];
type SizeId = (typeof SIZE_IDS)[number];
type ImplId = (typeof IMPL_IDS)[number];

const SIZE_BYTES: Record<SizeId, number> = { '1k': 1024, '64k': 64 * 1024 };
const SIZE_LABEL: Record<SizeId, string> = { '1k': '1 KiB', '64k': '64 KiB' };
const PROVIDER_LABEL: Record<ProviderId, string> = { github: 'GitHub', stripe: 'Stripe', 'standard-webhooks': 'Standard Webhooks' };

function clockOption(text: string | undefined): 'wall' | 'cpu' {
  if (text === undefined || text === 'wall') return 'wall';
  if (text === 'cpu') return 'cpu';
  throw new Error('--clock is wall or cpu');
}

function parseOptions(argv: readonly string[]): Options {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}`);
    flags.set(m[1]!, m[2] ?? 'true');
  }
  const num = (name: string, fallback: number): number => {
    const text = flags.get(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const list = <T extends string>(name: string, all: readonly T[]): T[] => {
    const text = flags.get(name);
    if (text === undefined) return [...all];
    const wanted = text.split(',').map((s) => s.trim());
    for (const w of wanted) if (!(all as readonly string[]).includes(w)) throw new Error(`--${name}: unknown ${w}; known: ${all.join(', ')}`);
    return all.filter((a) => wanted.includes(a));
  };
  return {
    rounds: Math.round(num('rounds', 5)),
    roundMs: num('round-ms', 500),
    warmupMs: num('warmup-ms', 300),
    providers: list('provider', PROVIDER_IDS),
    sizes: list('size', SIZE_IDS),
    impls: list('impl', IMPL_IDS),
    inProcess: flags.has('in-process'),
    clock: clockOption(flags.get('clock')),
    worker: flags.has('worker'),
    json: flags.has('json'),
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const FIXED_MS = 1_700_000_000_000;
const now = (): number => FIXED_MS;
const GITHUB_SECRET = 'It\'s a Secret to Everybody';
const STRIPE_SECRET = 'whsec_test_secret_0123456789abcdefghijklmnop';
const STANDARD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** `{"type":"invoice.paid","id":"evt_1","action":"opened","data":"xxxx…"}`, exactly `size` bytes. */
function makeBody(size: number): Buffer {
  const head = '{"type":"invoice.paid","id":"evt_1","action":"opened","data":"';
  const tail = '"}';
  const pad = size - head.length - tail.length;
  if (pad < 0) throw new Error(`body size ${size} is too small`);
  const body = Buffer.from(head + 'x'.repeat(pad) + tail, 'utf8');
  if (body.length !== size) throw new Error('body size mismatch');
  return body;
}

type HeaderRecord = Record<string, string | string[] | undefined>;
/** A hand-written receiver reads node's `req.headers` (lower-case names, string values). */
function headerOf(headers: HeaderRecord, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
}

type RawVerify = (headers: HeaderRecord, body: Buffer) => boolean;

/** GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body. */
function rawGithub(secret: string): RawVerify {
  const key = Buffer.from(secret, 'utf8');
  return (headers, body) => {
    const header = headerOf(headers, 'x-hub-signature-256');
    if (header === undefined || !header.startsWith('sha256=')) return false;
    const candidate = Buffer.from(header.slice(7), 'hex');
    const expected = createHmac('sha256', key).update(body).digest();
    return candidate.length === expected.length && timingSafeEqual(candidate, expected);
  };
}

/** Stripe: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=…]` over `<t>.<body>`, 300 s tolerance. */
function rawStripe(secret: string, toleranceS = 300): RawVerify {
  const key = Buffer.from(secret, 'utf8');
  return (headers, body) => {
    const header = headerOf(headers, 'stripe-signature');
    if (header === undefined) return false;
    let t: string | undefined;
    const signatures: string[] = [];
    for (const item of header.split(',')) {
      const at = item.indexOf('=');
      if (at <= 0) continue;
      const k = item.slice(0, at);
      if (k === 't') t ??= item.slice(at + 1);
      else if (k === 'v1') signatures.push(item.slice(at + 1));
    }
    if (t === undefined || signatures.length === 0) return false;
    const timestamp = Number(t);
    if (!Number.isInteger(timestamp)) return false;
    const expected = createHmac('sha256', key).update(`${t}.`).update(body).digest();
    let matched = false;
    for (const signature of signatures) {
      const candidate = Buffer.from(signature, 'hex');
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
    if (!matched) return false;
    return now() / 1000 - timestamp <= toleranceS;
  };
}

/** Standard Webhooks: `webhook-signature: v1,<b64> …` over `<id>.<timestamp>.<body>`, ±300 s. */
function rawStandard(secret: string, toleranceS = 300): RawVerify {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64'); // once
  return (headers, body) => {
    const id = headerOf(headers, 'webhook-id');
    const ts = headerOf(headers, 'webhook-timestamp');
    const header = headerOf(headers, 'webhook-signature');
    if (id === undefined || ts === undefined || header === undefined) return false;
    const timestamp = Number(ts);
    if (!Number.isInteger(timestamp) || Math.abs(now() / 1000 - timestamp) > toleranceS) return false;
    const expected = createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest();
    for (const entry of header.split(' ')) {
      if (!entry.startsWith('v1,')) continue;
      const candidate = Buffer.from(entry.slice(3), 'base64');
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return true;
    }
    return false;
  };
}

interface Case {
  provider: ProviderId;
  size: SizeId;
  /** Each returns a number so results can be sunk (and are checked once before timing). */
  impls: Record<ImplId, () => number | Promise<number>>;
  check(): Promise<void>;
}

function buildCase(providerId: ProviderId, size: SizeId): Case {
  const provider: Provider<object, unknown> =
    providerId === 'github' ? github : providerId === 'stripe' ? stripe : standardWebhooks;
  const secret = providerId === 'github' ? GITHUB_SECRET : providerId === 'stripe' ? STRIPE_SECRET : STANDARD_SECRET;
  const raw = providerId === 'github' ? rawGithub(secret) : providerId === 'stripe' ? rawStripe(secret) : rawStandard(secret);
  const expectedName = providerId === 'github' ? 'issues' : 'invoice.paid';

  const body = makeBody(SIZE_BYTES[size]);
  const receiver = createReceiver(provider, { secret, now, dedup: false });
  const request = signRequest(provider, {
    secret,
    body,
    now: FIXED_MS,
    event: 'issues',
    headers: { 'content-type': 'application/json' },
  });
  const headers: HeaderRecord = request.headers;

  /** The event name as the hand-written receiver reads it after parsing. */
  const eventName = (payload: { type?: unknown }): unknown =>
    providerId === 'github' ? headerOf(headers, 'x-github-event') : payload.type;

  const impls: Record<ImplId, () => number | Promise<number>> = {
    hookgen: async () => {
      const result = await receiver.verify(request);
      return result.ok ? 1 : 0;
    },
    raw: () => (raw(headers, body) ? 1 : 0),
    'raw+parse': () => {
      if (!raw(headers, body)) return 0;
      const payload = JSON.parse(body.toString('utf8')) as { type?: unknown };
      return eventName(payload) === undefined ? 0 : 1;
    },
  };

  return {
    provider: providerId,
    size,
    impls,
    async check() {
      const result = await receiver.verify(request);
      if (!result.ok || result.kind !== 'event') {
        throw new Error(`${providerId}/${size}: hookgen did not accept its own signed request: ${JSON.stringify(result.ok ? result.kind : result)}`);
      }
      if (result.event.name !== expectedName) throw new Error(`${providerId}/${size}: event name ${result.event.name}, expected ${expectedName}`);
      const payload = result.event.payload as { data?: string };
      if (typeof payload.data !== 'string' || payload.data.length < SIZE_BYTES[size] - 100) throw new Error(`${providerId}/${size}: payload not parsed`);
      if (!raw(headers, body)) throw new Error(`${providerId}/${size}: raw baseline rejected the signed request`);
      if ((await impls['raw+parse']()) !== 1) throw new Error(`${providerId}/${size}: raw+parse baseline failed`);
      // The baselines must really check: a flipped body byte and a stale clock are refused.
      const tampered = Buffer.from(body);
      tampered[tampered.length - 3] = 0x79; // 'x' -> 'y'
      if (raw(headers, tampered)) throw new Error(`${providerId}/${size}: raw baseline accepted a tampered body`);
      const hookgenTampered = await receiver.verify({ ...request, body: tampered });
      if (hookgenTampered.ok) throw new Error(`${providerId}/${size}: hookgen accepted a tampered body`);
      if (providerId !== 'github') {
        const late = providerId === 'stripe' ? rawStripe(secret, -1) : rawStandard(secret, -1);
        if (late(headers, body)) throw new Error(`${providerId}/${size}: raw baseline ignored the timestamp tolerance`);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Timing

let sink = 0;

interface Rate {
  /** ops per second of wall-clock time. */
  wall: number;
  /** ops per second of this process's CPU time (user + system, all threads: GC helpers included). */
  cpu: number;
}

/** Runs `op` in batches for about `ms` of wall time. Awaits only when the op returns a promise. */
async function runFor(op: () => number | Promise<number>, ms: number, batch: number): Promise<Rate> {
  const isAsync = op() instanceof Promise;
  const budget = BigInt(Math.round(ms * 1e6));
  let ops = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  if (isAsync) {
    const asyncOp = op as () => Promise<number>;
    do {
      for (let i = 0; i < batch; i++) sink += await asyncOp();
      ops += batch;
      elapsed = process.hrtime.bigint() - start;
    } while (elapsed < budget);
  } else {
    const syncOp = op as () => number;
    do {
      for (let i = 0; i < batch; i++) sink += syncOp();
      ops += batch;
      elapsed = process.hrtime.bigint() - start;
    } while (elapsed < budget);
  }
  const cpu = process.cpuUsage(cpuStart);
  return { wall: ops / (Number(elapsed) / 1e9), cpu: ops / ((cpu.user + cpu.system) / 1e6) };
}

interface Measurement {
  provider: ProviderId;
  size: SizeId;
  impl: ImplId;
  /** ops/s of each timed round, in run order, by the chosen clock. */
  rounds: number[];
  median: number;
  /** The same rounds by the other clock, for reference. */
  otherRounds: number[];
  otherMedian: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measureCase(c: Case, options: Options): Promise<Measurement[]> {
  await c.check();
  const impls = options.impls;
  const batch: Partial<Record<ImplId, number>> = {};
  // Warm-up, which also sizes each variant's batch to ~1 ms between clock reads.
  for (const impl of impls) {
    const rate = await runFor(c.impls[impl], options.warmupMs, 16);
    batch[impl] = Math.max(1, Math.round(rate.wall / 1000));
  }
  const rates: Record<string, Rate[]> = {};
  for (const impl of impls) rates[impl] = [];
  for (let r = 0; r < options.rounds; r++) {
    for (let k = 0; k < impls.length; k++) {
      const impl = impls[(r + k) % impls.length]!;
      rates[impl]!.push(await runFor(c.impls[impl], options.roundMs, batch[impl]!));
    }
  }
  const other = options.clock === 'wall' ? 'cpu' : 'wall';
  return impls.map((impl) => {
    const rounds = rates[impl]!.map((rate) => rate[options.clock]);
    const otherRounds = rates[impl]!.map((rate) => rate[other]);
    return { provider: c.provider, size: c.size, impl, rounds, median: median(rounds), otherRounds, otherMedian: median(otherRounds) };
  });
}

async function measureAll(options: Options, providers: readonly ProviderId[]): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const provider of providers) {
    for (const size of options.sizes) out.push(...(await measureCase(buildCase(provider, size), options)));
  }
  return out;
}

function runWorker(provider: ProviderId, argv: readonly string[]): Promise<Measurement[]> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(import.meta.url);
    const args = [...argv.filter((a) => !a.startsWith('--provider=') && a !== '--json'), '--worker', `--provider=${provider}`];
    const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: Measurement[] | undefined;
    child.on('message', (message) => {
      result = message as Measurement[];
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`benchmark worker for ${provider} exited with code ${code}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Report

function formatOps(n: number | undefined): string {
  if (n === undefined) return '—';
  return Math.round(n).toLocaleString('en-US');
}

function formatRatio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? '—' : (a / b).toFixed(2);
}

function printTable(results: readonly Measurement[], options: Options): void {
  const find = (p: ProviderId, s: SizeId, i: ImplId) => results.find((m) => m.provider === p && m.size === s && m.impl === i);
  const header = ['provider', 'size', 'hookgen ops/s', 'raw ops/s', 'raw+parse ops/s', 'hookgen/raw', 'hookgen/raw+parse'];
  const rows: string[][] = [];
  const notes: string[] = [];
  /** Median over rounds of a/b, rounds paired by index (the same rotation round, so the same conditions). */
  const paired = (a: number[] | undefined, b: number[] | undefined): string => {
    if (!a || !b) return '—';
    return median(a.map((x, r) => x / b[r]!)).toFixed(2);
  };
  const spread = (m: Measurement | undefined): string => {
    if (!m) return '—';
    return `±${((100 * (Math.max(...m.rounds) - Math.min(...m.rounds))) / 2 / m.median).toFixed(0)}%`;
  };
  const other = options.clock === 'wall' ? 'CPU-time' : 'wall-clock';
  for (const p of options.providers) {
    for (const s of options.sizes) {
      const h = find(p, s, 'hookgen');
      const r = find(p, s, 'raw');
      const rp = find(p, s, 'raw+parse');
      rows.push([PROVIDER_LABEL[p], SIZE_LABEL[s], formatOps(h?.median), formatOps(r?.median), formatOps(rp?.median), formatRatio(h?.median, r?.median), formatRatio(h?.median, rp?.median)]);
      notes.push(
        `  ${`${PROVIDER_LABEL[p]} ${SIZE_LABEL[s]}`.padEnd(24)} range ${spread(h)} / ${spread(r)} / ${spread(rp)}` +
          `   paired ${paired(h?.rounds, r?.rounds)} / ${paired(h?.rounds, rp?.rounds)}` +
          `   ${other} ${formatRatio(h?.otherMedian, r?.otherMedian)} / ${formatRatio(h?.otherMedian, rp?.otherMedian)}` +
          `   ceiling ${formatRatio(rp?.median, r?.median)}`,
      );
    }
  }
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((row) => row[col]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log('');
  console.log('Checks on the noise: range = half the min…max spread of the rounds (hookgen / raw / raw+parse); paired = median over');
  console.log(`rounds of the per-round ratio (hookgen/raw / hookgen/raw+parse); ${other} = the same ratios from ${other} rates;`);
  console.log('ceiling = raw+parse/raw, the highest hookgen/raw possible while verify parses the body.');
  for (const n of notes) console.log(n);
}

function loadNote(): string {
  const [load1] = os.loadavg();
  const cpus = os.availableParallelism();
  const busy = load1! > cpus * 0.5 ? '  WARNING: the machine is busy; figures are noisy (try --clock=cpu, or rerun when idle).' : '';
  return `load average (1 min) ${load1!.toFixed(2)} on ${cpus} CPUs.${busy}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);

  if (options.worker) {
    const results = await measureAll(options, options.providers);
    if (sink === -1) console.log(sink); // keep results observable
    process.send!(results);
    return;
  }

  const started = Date.now();
  console.log(`hookgen verify benchmark — Node ${process.version} (${process.platform}/${process.arch}), V8 ${process.versions.v8}, ${os.cpus()[0]?.model ?? 'unknown CPU'}`);
  console.log(
    `Method: per (provider, size), a warm-up of ${options.warmupMs} ms per variant, then ${options.rounds} rounds of ~${options.roundMs} ms per variant ` +
      `in rotating order; median ops/s by ${options.clock === 'wall' ? 'wall-clock' : 'process CPU'} time reported. Bodies are Buffers; JSON padded to the size. ` +
      (options.inProcess ? 'All providers in this one process.' : 'Each provider in its own child process.'),
  );
  console.log(
    'hookgen = await receiver.verify(request) (dedup off, fixed clock; returns the parsed event). raw = hand-written node:crypto ' +
      'HMAC check (header parse, HMAC-SHA256, decode, length + timingSafeEqual, timestamp tolerance). raw+parse = raw + JSON.parse(body) + event name.',
  );
  console.log(`At start: ${loadNote()}`);
  console.log('');

  let results: Measurement[];
  if (options.inProcess) {
    results = await measureAll(options, options.providers);
  } else {
    results = [];
    for (const provider of options.providers) results.push(...(await runWorker(provider, argv)));
  }
  if (options.json) {
    console.log(JSON.stringify(results, null, 2));
  }
  printTable(results, options);
  console.log('');
  console.log(`At end: ${loadNote()}`);
  console.log(`Goal: hookgen/raw >= 0.90. Total time ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  if (sink === -1) console.log(sink);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
