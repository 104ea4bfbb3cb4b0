import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { serve } from '@hono/node-server';
import { captureLogs, conformance, githubIssue, httpSender, installed, useExampleSecrets } from './support.js';

const versions = `hono ${installed('hono')}, @hono/node-server ${installed('@hono/node-server')}`;
const logs = captureLogs();
useExampleSecrets();
const { app } = await import('../../docs/examples/hono.js');

// As a user serves it on Node: @hono/node-server turns node:http requests into web Requests.
const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

conformance(`Hono (${versions}), docs/examples/hono.ts`, httpSender(url), logs);

describe('Hono', () => {
  it('routes are Hono\'s: a GET on a webhook path is Hono\'s 404 (only POST is mounted)', async () => {
    const response = await fetch(`${url}/webhooks/github`);
    expect(response.status).toBe(404);
  });

  it('app.request() (Hono\'s in-process test client) reaches the same receiver', async () => {
    const delivery = await githubIssue('octokit');
    const response = await app.request('/webhooks/github', { method: 'POST', headers: delivery.headers, body: new Uint8Array(delivery.body) });
    expect(response.status).toBe(200);
    expect(logs.filter((l) => l === delivery.line)).toHaveLength(1);
  });
});
