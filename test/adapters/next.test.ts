import { decode as decodeQuery } from 'node:querystring';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createPagesApiHandler, pagesApiConfig } from '../../runtime/adapters/next.js';
import { captureLogs, conformance, exampleReceivers, githubIssue, httpSender, loopback, PATHS, slackChallenge, useExampleSecrets, type Send } from './support.js';

/**
 * Next.js itself is not installed (too heavy for CI). Its two contracts for route code are small
 * and stable, and are reproduced here:
 * - App Router: a route module's `POST` gets a web `Request` (NextRequest extends it) and returns a
 *   `Response`; Next.js never reads the body first. Tested by calling POST with web Requests.
 * - Pages Router: `apiResolver` (packages/next/src/server/api-utils/node/api-resolver.ts) reads
 *   the module's `config`, and unless `config.api.bodyParser === false` replaces the body with
 *   `parseBody()` (node/parse-body.ts: JSON and `application/ld+json` parsed, an empty JSON body is
 *   `{}`, url-encoded forms decoded with querystring, anything else kept as text), then calls the
 *   default export with node's req and res. `nextApiServer` below does exactly that on node:http.
 */

const logs = captureLogs();
useExampleSecrets();
const appRoute = await import('../../docs/examples/next-app-route.js');
const pagesRoute = await import('../../docs/examples/next-pages-api.js');
const { stripe, slack } = exampleReceivers();

type PagesModule = { default: (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => unknown; config?: { api?: { bodyParser?: unknown } } };

/** A node:http server routing `/api/...` paths to Pages Router modules the way Next.js's apiResolver does. */
function nextApiServer(routes: Record<string, PagesModule>) {
  return async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    const route = routes[(req.url ?? '/').split('?')[0]!];
    if (!route) return void res.writeHead(404).end('Not Found');
    if (route.config?.api?.bodyParser !== false && !req.body) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const type = (req.headers['content-type'] || 'text/plain').split(';')[0]!.trim().toLowerCase();
      if (type === 'application/json' || type === 'application/ld+json') req.body = text.length === 0 ? {} : JSON.parse(text);
      else if (type === 'application/x-www-form-urlencoded') req.body = decodeQuery(text);
      else req.body = text;
    }
    await route.default(req, res);
  };
}

describe('Next.js App Router (web Requests)', () => {
  const routes: Record<string, (req: Request) => Promise<Response>> = {
    [PATHS.github]: appRoute.POST,
    [PATHS.stripe]: (req) => stripe.fetch(req),
    [PATHS.slack]: (req) => slack.fetch(req),
  };
  const send: Send = async (path, delivery) => {
    const request = new Request(`https://app.example.com${path}`, { method: delivery.method, headers: delivery.headers, body: new Uint8Array(delivery.body) });
    const response = await routes[path]!(request);
    return { status: response.status, contentType: response.headers.get('content-type') ?? undefined, text: await response.text() };
  };
  conformance('Next.js App Router, docs/examples/next-app-route.ts', send, logs);
});

const pagesUrl = await loopback(
  nextApiServer({
    [PATHS.github]: pagesRoute,
    [PATHS.stripe]: { config: { api: { bodyParser: false } }, default: createPagesApiHandler(stripe) },
    [PATHS.slack]: { config: { api: { bodyParser: false } }, default: createPagesApiHandler(slack) },
    '/api/forgot-config': { default: createPagesApiHandler(exampleReceivers().github) },
    '/api/forgot-config-slack': { default: createPagesApiHandler(exampleReceivers().slack) },
  }),
);
conformance('Next.js Pages Router, docs/examples/next-pages-api.ts', httpSender(pagesUrl), logs);

describe('Next.js Pages Router specifics', () => {
  it('the example exports the config the adapter names', () => {
    expect(pagesRoute.config).toEqual(pagesApiConfig);
  });

  it('bodyParser left on (no config export): 500 body_not_raw at once, naming the setting, no handler runs', async () => {
    const delivery = await githubIssue('hookgen');
    const started = performance.now();
    const response = await fetch(`${pagesUrl}/api/forgot-config`, { method: 'POST', headers: delivery.headers, body: new Uint8Array(delivery.body) });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(500);
    const answer = (await response.json()) as { error: string; message: string };
    expect(answer.error).toBe('body_not_raw');
    expect(answer.message).toContain('export const config = { api: { bodyParser: false } };');
    expect(logs).not.toContain(delivery.line);
  });

  it('bodyParser on but a text body (kept as the received text by Next.js): still verified', async () => {
    const delivery = slackChallenge();
    const response = await fetch(`${pagesUrl}/api/forgot-config-slack`, { method: 'POST', headers: { ...delivery.headers, 'content-type': 'text/plain' }, body: new Uint8Array(delivery.body) });
    // Slack signs the bytes, not the Content-Type: the text arrives intact and the challenge is answered.
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(delivery.challenge);
  });
});
