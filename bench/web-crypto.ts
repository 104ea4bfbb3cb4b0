/**
 * The Web Crypto module (what Workers, Deno Deploy and browsers get) against the node:crypto one, both
 * run on Node here: the signature check of a GitHub-style HMAC-SHA256 over 1 KiB and 64 KiB bodies,
 * with the hand-written node:crypto check as the baseline in the same process.
 *
 *     npx tsc -p tsconfig.build.json && node dist/bench/web-crypto.js [--rounds=5] [--round-ms=500]
 *
 * Node runs Web Crypto's HMAC on its thread pool and answers with a promise, so the web module pays
 * for a hop that workerd does not; the figure is an upper bound of that cost, not a Workers measurement.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as node from '../runtime/crypto/node.js';
import * as web from '../runtime/crypto/web.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const rounds = arg('rounds', 5);
const roundMs = arg('round-ms', 500);

type Check = () => boolean | Promise<boolean>;

async function opsPerSecond(check: Check): Promise<number> {
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < roundMs) {
    for (let i = 0; i < 64; i++) if (!(await check())) throw new Error('a benchmark check answered false');
    ops += 64;
  }
  return ops / ((performance.now() - start) / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

for (const size of [1024, 64 * 1024]) {
  const secretText = 'It\'s a Secret to Everybody';
  const secret = { kind: 'secret' as const, bytes: Buffer.from(secretText) };
  const body = randomBytes(size);
  const digest = createHmac('sha256', secretText).update(body).digest();
  const candidates = [Buffer.from(digest)];
  const variants: Record<string, Check> = {
    raw: () => {
      const expected = createHmac('sha256', secretText).update(body).digest();
      return expected.length === digest.length && timingSafeEqual(expected, digest);
    },
    node: () => node.macMatches('hmac-sha256', secret, [body], candidates),
    web: () => web.macMatches('hmac-sha256', secret, [body], candidates),
  };
  const results: Record<string, number[]> = { raw: [], node: [], web: [] };
  for (const check of Object.values(variants)) await opsPerSecond(check); // warm-up
  for (let round = 0; round < rounds; round++) {
    const names = Object.keys(variants);
    // Rotate the order each round so drift (GC, CPU frequency) falls on every variant alike.
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      results[name]!.push(await opsPerSecond(variants[name]!));
    }
  }
  const raw = median(results.raw!);
  const line = Object.entries(results).map(([name, values]) => `${name} ${Math.round(median(values))}/s (${(median(values) / raw).toFixed(2)} of raw)`);
  console.log(`${size / 1024} KiB: ${line.join(', ')}`);
}
