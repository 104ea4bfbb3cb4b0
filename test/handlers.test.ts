import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createReceiver, signRequest, type Receiver } from '../runtime/index.js';
import { github } from '../generated/github/index.js';
import { slack } from '../generated/slack/index.js';

const SECRET = 'handler-test-secret';
const issuesOpened = readFileSync('schemas/providers/github/examples/issues.opened.json');

/** A GitHub receiver counting what its handlers saw, served on loopback by node:http and by fetch. */
function githubReceiver() {
  const seen: Array<{ key: string; number: number; id?: string }> = [];
  const receiver = createReceiver(github, { secret: SECRET, maxBodyBytes: 64 * 1024 }).on('issues.opened', (event) => {
    seen.push({ key: event.key, number: event.payload.issue.number, id: event.id });
  });
  return { receiver, seen };
}

function signedIssue(id: string, body: Uint8Array = issuesOpened) {
  return signRequest(github, { secret: SECRET, body, id, event: 'issues', headers: { 'content-type': 'application/json' } });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

type Served = { name: string; url: string; seen: Array<{ key: string; number: number; id?: string }>; receiver: Receiver<typeof github> };

const servers: Server[] = [];
const served: Served[] = [];

beforeAll(async () => {
  const node = githubReceiver();
  const nodeServer = createServer(node.receiver.node);
  const fetchSide = githubReceiver();
  const fetchServer = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const response = await fetchSide.receiver.fetch(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(Buffer.concat(chunks)) }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  servers.push(nodeServer, fetchServer);
  served.push({ name: 'node handler', url: await listen(nodeServer), ...node }, { name: 'fetch handler', url: await listen(fetchServer), ...fetchSide });
});

afterAll(() => {
  for (const server of servers) server.close();
});

describe.each(['node handler', 'fetch handler'])('%s on a loopback server', (name) => {
  const target = () => served.find((s) => s.name === name)!;

  it('runs the typed handler once for a signed delivery, and answers a redelivery without running it again', async () => {
    const { url, seen } = target();
    const signed = signedIssue(`delivery-${name}`);
    const first = await fetch(`${url}/webhooks`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body as Uint8Array) });
    expect(first.status).toBe(200);
    const again = await fetch(`${url}/webhooks`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body as Uint8Array) });
    expect(again.status).toBe(200);
    expect(seen.filter((s) => s.id === `delivery-${name}`)).toEqual([{ key: 'issues.opened', number: JSON.parse(issuesOpened.toString()).issue.number, id: `delivery-${name}` }]);
  });

  it('answers a tampered delivery 401 with the reason, and runs nothing', async () => {
    const { url, seen } = target();
    const signed = signedIssue(`tampered-${name}`);
    const body = Buffer.from(signed.body as Uint8Array);
    body[10] = body[10]! ^ 1;
    const response = await fetch(`${url}/webhooks`, { method: 'POST', headers: signed.headers, body: new Uint8Array(body) });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'signature_mismatch' });
    expect(seen.some((s) => s.id === `tampered-${name}`)).toBe(false);
  });

  it('answers 413 from Content-Length alone for a body over the limit', async () => {
    const { url } = target();
    const big = Buffer.alloc(100 * 1024, 0x20);
    const signed = signedIssue(`big-${name}`, big);
    const response = await fetch(`${url}/webhooks`, { method: 'POST', headers: signed.headers, body: new Uint8Array(big) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'body_too_large' });
  });

  it('answers 405 to a GET', async () => {
    const response = await fetch(`${target().url}/webhooks`);
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ error: 'method_not_allowed' });
  });
});

describe('node handler, specifics', () => {
  it('refuses a body a parser already consumed (req.body is an object), at once and naming the fix', async () => {
    const { receiver, seen } = githubReceiver();
    const server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => {
        (req as typeof req & { body: unknown }).body = JSON.parse(text);
        void receiver.node(req, res);
      });
    });
    servers.push(server);
    const url = await listen(server);
    const signed = signedIssue('parsed-first');
    const response = await fetch(`${url}/webhooks`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body as Uint8Array) });
    expect(response.status).toBe(500);
    const answer = (await response.json()) as { error: string; message: string };
    expect(answer.error).toBe('body_not_raw');
    expect(answer.message).toContain('express.raw');
    expect(seen).toHaveLength(0);
  });

  it('cuts off a body over the limit while streaming (no Content-Length)', async () => {
    const { url } = served[0]!;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${url}/webhooks`, { method: 'POST', headers: { 'transfer-encoding': 'chunked', 'x-hub-signature-256': 'sha256=00' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 80; i++) req.write(Buffer.alloc(1024, 0x61));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('answers a handshake from the spec: Slack url_verification', async () => {
    const receiver = createReceiver(slack, { secret: 'slack-secret' });
    const server = createServer(receiver.node);
    servers.push(server);
    const url = await listen(server);
    const body = JSON.stringify({ token: 't', challenge: 'challenge-123', type: 'url_verification' });
    const signed = signRequest(slack, { secret: 'slack-secret', body, headers: { 'content-type': 'application/json' } });
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toBe('challenge-123');
  });

  it('answers 500 without a stack trace when a handler throws, and reports to onError', async () => {
    const errors: unknown[] = [];
    const receiver = createReceiver(github, { secret: SECRET })
      .on('issues', () => {
        throw new Error('database down at /srv/app/db.ts:42');
      })
      .onError((error) => errors.push(error));
    const signed = signedIssue('handler-fails');
    const first = await receiver.handle(signed);
    expect(first.status).toBe(500);
    expect(first.body).not.toContain('database down');
    expect(errors).toHaveLength(1);
    // a failed delivery is not remembered: GitHub's redelivery runs the handlers again
    const second = await receiver.handle(signed);
    expect(second.status).toBe(500);
    expect(errors).toHaveLength(2);
  });
});

describe('a provider that answers in its own format (Salesforce SOAP)', () => {
  it('acknowledges with <Ack>true</Ack> and refuses with a SOAP fault naming the reason', async () => {
    const { salesforce } = await import('../generated/salesforce/index.js');
    const seen: string[] = [];
    const receiver = createReceiver(salesforce, { secret: '00D000000000062EAA' }).on('sf:Contact', (e) => void seen.push(e.payload.sObject.Email ?? ''));
    const headers = { 'content-type': 'text/xml; charset=utf-8' };
    const ok = await receiver.handle({ method: 'POST', url: '/', headers, body: readFileSync('schemas/providers/salesforce/examples/contact-and-lead.xml') });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<Ack>true</Ack>');
    expect(seen).toEqual(['ada@example.com']);
    const refused = await receiver.handle({ method: 'POST', url: '/', headers, body: readFileSync('schemas/providers/salesforce/examples/other-org.xml') });
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toContain('text/xml');
    expect(refused.body).toContain('<soapenv:Fault>');
    expect(refused.body).toContain('<faultstring>signature_mismatch:');
    expect(refused.body).not.toContain('00D000000000062EAA');
  });
});

describe('respondWithinMs', () => {
  it('answers before a slow handler finishes, and still reports its failure to onError', async () => {
    const errors: unknown[] = [];
    let finished = false;
    const receiver = createReceiver(github, { secret: SECRET, respondWithinMs: 50 })
      .on('issues', async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished = true;
        throw new Error('failed after the answer');
      })
      .onError((error) => void errors.push(error));
    const started = Date.now();
    const response = await receiver.handle(signedIssue('slow-1'));
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(250);
    expect(finished).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(finished).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('still answers 500 when the handlers fail within the time', async () => {
    const receiver = createReceiver(github, { secret: SECRET, respondWithinMs: 1000 }).on('issues', () => {
      throw new Error('fast failure');
    });
    expect((await receiver.handle(signedIssue('fast-fail'))).status).toBe(500);
  });
});
