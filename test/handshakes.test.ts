import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtInModels, exampleReceiver, exampleRequest } from './support/examples.js';

/**
 * Every handshake and every fanned-out batch in the specs' examples, sent over loopback to both the
 * node handler and the fetch handler: the answer on the wire must be the one the spec promises.
 */
const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function viaFetch(fetchHandler: (request: Request) => Promise<Response>): Parameters<typeof createServer>[1] {
  return async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const response = await fetchHandler(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: hasBody ? new Uint8Array(Buffer.concat(chunks)) : undefined }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}

const cases = builtInModels.flatMap((model) =>
  model.examples.filter((e) => e.expect.ok && (e.expect.handshake || e.expect.events)).map((example) => ({ model, example, name: `${model.runtime.id}: ${example.name}` })),
);

describe.each(['node', 'fetch'] as const)('%s handler answers on the wire', (kind) => {
  it('covers handshakes and batches', () => expect(cases.length).toBeGreaterThan(3));

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, { model, example }) => {
    const seen: string[] = [];
    const receiver = exampleReceiver(model, example).onAny((event) => void seen.push(event.key));
    const base = await serve(kind === 'node' ? receiver.node : viaFetch(receiver.fetch));
    const request = exampleRequest(model, example);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const response = await fetch(`${base}${request.url}`, { method: request.method, headers, body: hasBody ? new Uint8Array(request.body as Uint8Array) : undefined });
    expect(response.status).toBe(example.expect.status ?? 200);
    const text = await response.text();
    if (example.expect.body !== undefined && request.method !== 'HEAD') expect(text).toBe(example.expect.body);
    if (example.expect.handshake) expect(seen).toEqual([]);
    if (example.expect.events) expect(seen).toEqual(example.expect.events);
  });
});
