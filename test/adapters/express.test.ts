import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import express from 'express';
import { createExpressHandler } from '../../runtime/adapters/express.js';
import { captureLogs, conformance, exampleReceivers, githubIssue, httpSender, installed, loopback, PATHS, runsOnce, slackCommand, useExampleSecrets, type Delivery } from './support.js';

/** Express 4 from the `express4` alias (npm:express@4); it has the same call shape as 5. */
const express4 = createRequire(import.meta.url)('express4') as typeof express;
const VERSIONS = [
  ['Express 5', express, installed('express')],
  ['Express 4', express4, installed('express4')],
] as const;

const logs = captureLogs();
useExampleSecrets();
const { app: exampleApp } = await import('../../docs/examples/express.js');
const exampleUrl = await loopback(exampleApp);

conformance(`Express ${VERSIONS[0][2]}, docs/examples/express.ts`, httpSender(exampleUrl), logs);

// The same routes on Express 4.
const app4 = express4();
const receivers4 = exampleReceivers();
app4.post(PATHS.github, createExpressHandler(receivers4.github));
app4.post(PATHS.stripe, createExpressHandler(receivers4.stripe));
app4.post(PATHS.slack, createExpressHandler(receivers4.slack));
conformance(`Express ${VERSIONS[1][2]}`, httpSender(await loopback(app4)), logs);

describe('the rest of the example app keeps express.json()', () => {
  it('parses JSON on /api/echo', async () => {
    const response = await fetch(`${exampleUrl}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
    expect(await response.json()).toEqual({ a: [1, 2] });
  });
});

async function post(url: string, delivery: Delivery) {
  const response = await fetch(url, { method: 'POST', headers: delivery.headers, body: new Uint8Array(delivery.body) });
  return { status: response.status, text: await response.text() };
}

describe.each(VERSIONS)('%s with a body parser in front', (_name, lib) => {
  it('express.json() first: 500 body_not_raw at once, naming the fix, and no handler runs', async () => {
    const app = lib();
    app.use(lib.json());
    app.post(PATHS.github, createExpressHandler(exampleReceivers().github));
    const url = await loopback(app);
    const delivery = await githubIssue('hookgen');
    const started = performance.now();
    const answer = await post(`${url}${PATHS.github}`, delivery);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(answer.status).toBe(500);
    const { error, message } = JSON.parse(answer.text) as { error: string; message: string };
    expect(error).toBe('body_not_raw');
    expect(message).toContain('before app.use(express.json())');
    expect(message).toContain('req.rawBody = buf');
    expect(logs).not.toContain(delivery.line);
  });

  it('express.json() first but the body is a form it skipped, read after an async middleware: verified and run', async () => {
    // Express 4's parsers leave `req.body = {}` on requests they skip; by the time an async
    // middleware is done, the unread body has fully arrived (`req.complete`). Neither means "consumed".
    const app = lib();
    app.use(lib.json());
    app.post(PATHS.slack, async (_req, _res, next) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      next();
    }, createExpressHandler(exampleReceivers().slack));
    const delivery = slackCommand();
    const answer = await post(`${await loopback(app)}${PATHS.slack}`, delivery);
    expect(answer.status, answer.text).toBe(200);
    runsOnce(logs, delivery.line);
  });

  it('express.json({ verify }) keeping req.rawBody, the fix the message names: verified and run', async () => {
    const app = lib();
    app.use(lib.json({ verify: (req, _res, buf) => void ((req as typeof req & { rawBody?: Buffer }).rawBody = buf) }));
    app.post(PATHS.github, createExpressHandler(exampleReceivers().github));
    const delivery = await githubIssue('octokit');
    const answer = await post(`${await loopback(app)}${PATHS.github}`, delivery);
    expect(answer.status, answer.text).toBe(200);
    runsOnce(logs, delivery.line);
  });

  it.each([
    ['express.raw() (a Buffer)', () => lib.raw({ type: '*/*' })],
    ['express.text() (a string)', () => lib.text({ type: '*/*' })],
  ])('route-scoped %s in req.body: verified and run', async (_parser, parser) => {
    const app = lib();
    app.post(PATHS.github, parser(), createExpressHandler(exampleReceivers().github));
    app.use(lib.json());
    const delivery = await githubIssue('hookgen');
    const answer = await post(`${await loopback(app)}${PATHS.github}`, delivery);
    expect(answer.status, answer.text).toBe(200);
    runsOnce(logs, delivery.line);
  });
});
