import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSender, sqliteStore } from '../../runtime/index.js';

/** The ASP.NET registration check: GET <url>?echo=<random> must answer exactly that text. */
const seen: string[] = [];
const server = createServer((req, res) => {
  const url = new URL(req.url!, 'http://x');
  seen.push(`${req.method} ${url.pathname}`);
  const echo = url.searchParams.get('echo') ?? '';
  if (url.pathname === '/good') res.writeHead(200, { 'content-type': 'text/plain' }).end(echo);
  else if (url.pathname === '/wrong') res.writeHead(200).end(`${echo}!`);
  else res.writeHead(404).end();
});
const ready = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
afterAll(() => server.close());

describe('subscriptions.create({ verifyEcho })', () => {
  it('saves an endpoint that echoes, refuses one that does not, and skips the check for noecho URLs', async () => {
    const base = await ready;
    const store = sqliteStore({ path: ':memory:' });
    const sender = createSender({ store, allowPrivateAddresses: ['127.0.0.1'] });
    const good = await sender.subscriptions.create({ url: `${base}/good`, verifyEcho: true });
    expect(good.url).toBe(`${base}/good`);
    await expect(sender.subscriptions.create({ url: `${base}/wrong`, verifyEcho: true })).rejects.toThrow('did not answer the echo value');
    await expect(sender.subscriptions.create({ url: `${base}/missing`, verifyEcho: true })).rejects.toThrow('answered 404');
    const before = seen.length;
    await sender.subscriptions.create({ url: `${base}/missing?noecho`, verifyEcho: true });
    expect(seen.length).toBe(before);
    expect((await sender.subscriptions.list()).map((s) => s.url).sort()).toEqual([`${base}/good`, `${base}/missing?noecho`]);
    await store.close();
  });

  it('goes through the SSRF guard: loopback is refused unless allowed', async () => {
    const base = await ready;
    const store = sqliteStore({ path: ':memory:' });
    const sender = createSender({ store });
    await expect(sender.subscriptions.create({ url: `${base}/good`, verifyEcho: true })).rejects.toThrow(/echo check .* failed: ssrf/);
    await store.close();
  });
});
