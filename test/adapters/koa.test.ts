import { describe, expect, it } from 'vitest';
import Koa from 'koa';
import { createKoaMiddleware } from '../../runtime/adapters/koa.js';
import { captureLogs, conformance, exampleReceivers, githubIssue, httpSender, loopback, PATHS, runsOnce, installed, useExampleSecrets, type Delivery } from './support.js';

const version = installed('koa');
const logs = captureLogs();
useExampleSecrets();
const { app } = await import('../../docs/examples/koa.js');
const url = await loopback(app.callback());

conformance(`Koa ${version}, docs/examples/koa.ts`, httpSender(url), logs);

/**
 * A JSON body parser run before hookgen, reading the stream as @koa/bodyparser and koa-bodyparser
 * do: `ctx.request.body` gets the parsed object, and `keep` says where the raw text is kept (those
 * two keep `ctx.request.rawBody`; koa-body keeps it under Symbol.for('unparsedBody') when asked).
 */
function jsonParser(keep: 'rawBody' | 'unparsedBody' | 'nothing'): Koa.Middleware {
  return async (ctx, next) => {
    let text = '';
    for await (const chunk of ctx.req) text += String(chunk);
    const body = JSON.parse(text) as Record<string | symbol, unknown>;
    if (keep === 'unparsedBody') body[Symbol.for('unparsedBody')] = text;
    (ctx.request as unknown as { body: unknown }).body = body;
    if (keep === 'rawBody') (ctx.request as unknown as { rawBody: string }).rawBody = text;
    await next();
  };
}

async function appWith(parser: Koa.Middleware): Promise<string> {
  const parsed = new Koa();
  parsed.use(parser);
  parsed.use(createKoaMiddleware(exampleReceivers().github, { path: PATHS.github }));
  return loopback(parsed.callback());
}

async function post(base: string, delivery: Delivery) {
  const response = await fetch(`${base}${PATHS.github}`, { method: 'POST', headers: delivery.headers, body: new Uint8Array(delivery.body) });
  return { status: response.status, text: await response.text() };
}

describe('Koa with a body parser in front', () => {
  it.each(['rawBody', 'unparsedBody'] as const)('a parser that kept the raw text (%s): verified and run', async (keep) => {
    const delivery = await githubIssue('octokit');
    const answer = await post(await appWith(jsonParser(keep)), delivery);
    expect(answer.status, answer.text).toBe(200);
    runsOnce(logs, delivery.line);
  });

  it('a parser that kept only the parsed object: 500 body_not_raw at once, naming the fix, no handler runs', async () => {
    const delivery = await githubIssue('hookgen');
    const started = performance.now();
    const answer = await post(await appWith(jsonParser('nothing')), delivery);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.text)).toMatchObject({ error: 'body_not_raw', message: expect.stringContaining('before the body parser') });
    expect(logs).not.toContain(delivery.line);
  });
});

describe('Koa: paths', () => {
  it('passes requests for other paths on to the next middleware', async () => {
    const other = new Koa();
    other.use(createKoaMiddleware(exampleReceivers().github, { path: PATHS.github }));
    other.use((ctx) => {
      ctx.body = `next saw ${ctx.path}`;
    });
    const response = await fetch(`${await loopback(other.callback())}/health`);
    expect(await response.text()).toBe('next saw /health');
  });
});
