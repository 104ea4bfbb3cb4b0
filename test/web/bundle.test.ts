import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../runtime/sign/sign.js';
import { github } from '../../generated/github/index.js';
import { slack } from '../../generated/slack/index.js';
import { standardWebhooks } from '../../generated/standard-webhooks/index.js';
import { stripe } from '../../generated/stripe/index.js';

/**
 * What a Cloudflare Worker gets: the built package bundled the way wrangler bundles it (conditions
 * `workerd`, `worker`, `browser`; no `node`), then run in a V8 context that has the web platform's
 * globals and nothing of Node's (no Buffer, process, require or node: modules). Requests signed by
 * hookgen's node signer must be accepted there through `receiver.fetch`, and tampered ones refused.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = (path: string) => join(root, 'dist', path);

interface Bundle {
  createReceiver: (provider: unknown, options: Record<string, unknown>) => { fetch(request: Request): Promise<Response>; on(key: string, handler: (event: { payload: unknown }) => void): unknown };
  providers: Record<string, unknown>;
}

let code = '';
let bundle: Bundle;
let dir = '';

beforeAll(async () => {
  if (!existsSync(dist('runtime/web.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'hookgen-web-'));
  const entry = join(dir, 'worker.js');
  await writeFile(
    entry,
    [
      `export * from ${JSON.stringify(dist('runtime/web.js'))};`,
      `import { github } from ${JSON.stringify(dist('generated/github/index.js'))};`,
      `import { stripe } from ${JSON.stringify(dist('generated/stripe/index.js'))};`,
      `import { slack } from ${JSON.stringify(dist('generated/slack/index.js'))};`,
      `import { standardWebhooks } from ${JSON.stringify(dist('generated/standard-webhooks/index.js'))};`,
      'export const providers = { github, stripe, slack, standardWebhooks };',
    ].join('\n'),
  );
  const { build } = await import('rolldown');
  const output = await build({
    input: entry,
    platform: 'browser',
    resolve: { conditionNames: ['workerd', 'worker', 'browser', 'import', 'default'] },
    output: { format: 'iife', name: 'hookgen' },
    write: false,
    logLevel: 'silent',
  });
  code = output.output[0].code;
  const context = vm.createContext({
    crypto: globalThis.crypto, TextEncoder, TextDecoder, URL, URLSearchParams, atob, btoa,
    Request, Response, Headers, AbortController, AbortSignal, setTimeout, clearTimeout, queueMicrotask, console,
  });
  vm.runInContext(`${code}\nglobalThis.hookgen = hookgen;`, context);
  bundle = context.hookgen as Bundle;
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the web entry bundled for a Worker', () => {
  // The node handler's code is in the bundle (receivers carry `.node`) but never runs here: the
  // context below has no Buffer, so any use on the fetch path would throw.
  it('imports no node: module and none of the sender\'s dependencies', () => {
    expect(code).not.toMatch(/\bfrom\s*["']node:|require\(|import\(["']node:/);
    expect(code).not.toMatch(/from\s*["'](undici|better-sqlite3|pg)["']/);
  });

  const post = (headers: HeadersInit, body: string | Uint8Array, url = 'https://worker.example/hook') =>
    new Request(url, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });

  it('verifies GitHub (HMAC-SHA256) through receiver.fetch, and refuses a tampered body with the reason', async () => {
    const secret = 'It\'s a Secret to Everybody';
    const seen: unknown[] = [];
    const receiver = bundle.createReceiver(bundle.providers.github, { secret });
    receiver.on('issues.opened', (event) => void seen.push(event.payload));
    const body = JSON.stringify({ action: 'opened', issue: { number: 7 } });
    const signed = signRequest(github, { secret, body, event: 'issues', id: 'd-1' });
    const accepted = await receiver.fetch(post({ ...(signed.headers as Record<string, string>), 'content-type': 'application/json' }, body));
    expect(accepted.status).toBe(200);
    expect(seen).toEqual([{ action: 'opened', issue: { number: 7 } }]);
    const refused = await receiver.fetch(post({ ...(signed.headers as Record<string, string>), 'content-type': 'application/json' }, body.replace('7', '8')));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'signature_mismatch' });
  });

  it('verifies Stripe (t=, v1=) and judges its timestamp', async () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const receiver = bundle.createReceiver(bundle.providers.stripe, { secret });
    const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid', data: { object: {} } });
    const fresh = signRequest(stripe, { secret, body });
    expect((await receiver.fetch(post({ ...(fresh.headers as Record<string, string>), 'content-type': 'application/json' }, body))).status).toBe(200);
    const stale = signRequest(stripe, { secret, body, now: Date.now() - 3600_000 });
    const refused = await receiver.fetch(post({ ...(stale.headers as Record<string, string>), 'content-type': 'application/json' }, body));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'timestamp_too_old' });
  });

  it('answers Slack\'s signed url_verification handshake', async () => {
    const secret = randomBytes(16).toString('hex');
    const receiver = bundle.createReceiver(bundle.providers.slack, { secret });
    const body = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' });
    const signed = signRequest(slack, { secret, body, headers: { 'content-type': 'application/json' } });
    const answer = await receiver.fetch(post(signed.headers, body));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('c-123');
  });

  it('verifies Standard Webhooks with HMAC (whsec_) and with Ed25519 (v1a) on Web Crypto', async () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const body = JSON.stringify({ type: 'user.created', timestamp: new Date().toISOString(), data: {} });
    const hmac = bundle.createReceiver(bundle.providers.standardWebhooks, { secret });
    const signed = signRequest(standardWebhooks, { secret, body, headers: { 'content-type': 'application/json' } });
    expect((await hmac.fetch(post(signed.headers, body))).status).toBe(200);

    const pair = generateKeyPairSync('ed25519');
    const raw = (key: 'publicKey' | 'privateKey') =>
      (pair[key].export({ type: key === 'publicKey' ? 'spki' : 'pkcs8', format: 'der' }) as Buffer).subarray(key === 'publicKey' ? 12 : 16).toString('base64');
    const ed = bundle.createReceiver(bundle.providers.standardWebhooks, { credentials: { publicKey: `whpk_${raw('publicKey')}` } });
    const edSigned = signRequest(standardWebhooks, { credentials: { publicKey: `whsk_${raw('privateKey')}` }, scheme: 'v1a', body, headers: { 'content-type': 'application/json' } });
    expect(edSigned.headers['webhook-signature']).toMatch(/^v1a,/);
    expect((await ed.fetch(post(edSigned.headers, body))).status).toBe(200);
    expect((await ed.fetch(post(edSigned.headers, body.replace('user', 'usr')))).status).toBe(401);
  });
});
