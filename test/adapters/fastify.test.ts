import { afterAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { webhookPlugin } from '../../runtime/adapters/fastify.js';
import { captureLogs, conformance, exampleReceivers, githubIssue, httpSender, installed, useExampleSecrets } from './support.js';

const version = installed('fastify');
const logs = captureLogs();
useExampleSecrets();
const { app } = await import('../../docs/examples/fastify.js');

/** Fastify listens itself (its own server and request handling), on loopback; closed after the file. */
const started: Array<ReturnType<typeof Fastify>> = [];
afterAll(() => Promise.all(started.map((instance) => instance.close())));
async function start(instance: ReturnType<typeof Fastify>): Promise<string> {
  started.push(instance);
  return instance.listen({ port: 0, host: '127.0.0.1' });
}

const url = await start(app);
conformance(`Fastify ${version}, docs/examples/fastify.ts`, httpSender(url), logs);

describe('Fastify: the plugin stays in its scope', () => {
  it('another route of the same app still parses JSON', async () => {
    const response = await fetch(`${url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order":42}' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ order: 42 });
  });

  it('a body over maxBodyBytes is 413 body_too_large, in hookgen\'s shape', async () => {
    const small = Fastify();
    small.register(webhookPlugin, { receiver: exampleReceivers().github, prefix: '/hook', maxBodyBytes: 1024 });
    const delivery = await githubIssue('hookgen');
    const response = await fetch(`${await start(small)}/hook`, { method: 'POST', headers: delivery.headers, body: new Uint8Array(delivery.body) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'body_too_large' });
  });

  it('other errors still reach the app\'s own error handler', async () => {
    const other = Fastify();
    other.setErrorHandler((error: Error, _request, reply) => reply.code(418).send({ app: 'handled', message: error.message }));
    other.register(webhookPlugin, { receiver: { handle: () => Promise.reject(new Error('store down')) }, prefix: '/hook' });
    const response = await fetch(`${await start(other)}/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ app: 'handled', message: 'store down' });
  });

  it('a delivery without a Content-Type still reaches the receiver as bytes', async () => {
    const delivery = await githubIssue('hookgen');
    const { 'content-type': _dropped, ...headers } = delivery.headers;
    const response = await fetch(`${url}/webhooks/github`, { method: 'POST', headers, body: new Uint8Array(delivery.body) });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(logs.filter((l) => l === delivery.line)).toHaveLength(1);
  });

  it('a GET on the webhook route is the receiver\'s 405, not a Fastify 404', async () => {
    const response = await fetch(`${url}/webhooks/github`);
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ error: 'method_not_allowed' });
  });
});
