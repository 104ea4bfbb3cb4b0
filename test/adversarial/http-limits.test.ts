import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInModels, providerOf, stripQuery, sourceNames } from '../support/examples.js';
import type { ProviderModel } from '../../generator/provider.js';
import type { SignatureScheme } from '../../runtime/spec/types.js';
import { REASONS, createReceiver, signRequest } from '../../runtime/index.js';

/**
 * Limits through the real handlers, for every built-in provider: the node handler on a loopback
 * node:http server (spoken to over raw sockets, so the test controls every byte and its timing), and
 * the fetch handler on Node's own Request with streamed bodies.
 *
 *   - a body over the limit: 413 from Content-Length before any of it is sent, and while streaming;
 *   - a body that arrives slowly: 408 after `bodyTimeoutMs`, also when it trickles in steadily;
 *   - too many headers, or too large: node's own 431, and the server stays up;
 *   - a bare CR or LF in a header value: node's own 400;
 *   - no handler runs for any of these, and every answer is `{ error, message }` JSON without a stack.
 */

const LIMIT = 64 * 1024;
const BODY_TIMEOUT_MS = 300;
const T = Date.now();

const headerNames = (template: string | undefined) => sourceNames(template, 'header');


interface Case {
  id: string;
  model: ProviderModel;
  scheme: SignatureScheme;
  secret: string;
  sample: { body: Buffer; headers: Record<string, string>; method?: string; url?: string };
  /** Settings the spec requires (a callback URL), from its examples. */
  config: Record<string, string>;
}

/** For each provider: its first scheme keyed by the primary credential with a symmetric key, and an accepted example. */
function providerCases(): Case[] {
  const cases: Case[] = [];
  for (const model of builtInModels) {
    const primary = Object.entries(model.runtime.credentials).find(([, c]) => c.primary)?.[0];
    const scheme = model.runtime.signatures.find((s) => s.key.credential === primary && ['utf8', 'whsec', 'base64', 'hex'].includes(s.key.decode));
    const example = model.examples.find((e) => e.expect.ok && !e.expect.handshake);
    if (!scheme || !example) continue;
    const text = `http-limits-${model.runtime.id}`;
    const raw = { utf8: text, whsec: `whsec_${Buffer.from(text).toString('base64')}`, base64: Buffer.from(text).toString('base64'), hex: Buffer.from(text).toString('hex') }[scheme.key.decode as 'utf8'];
    const select = (scheme.key as { select?: string }).select;
    const strip = new Set(model.runtime.signatures.flatMap((s) => [...headerNames(s.from), ...headerNames(s.timestamp?.from), ...headerNames(s.content), ...headerNames((s.key as { select?: string }).select)]));
    for (const c of model.runtime.event.id ?? []) for (const h of headerNames(c.value)) strip.add(h);
    const headers = Object.fromEntries(Object.entries(example.request.headers).filter(([k]) => !strip.has(k.toLowerCase())).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const body = example.request.bodyFile ? readFileSync(join(model.dir, example.request.bodyFile)) : Buffer.from(example.request.body ?? '');
    const config = Object.assign({}, ...model.examples.map((e) => e.config ?? {})) as Record<string, string>;
    const c: Case = { id: model.runtime.id, model, scheme, secret: select ? `limits-key=${raw}` : raw, sample: { body, headers, method: example.request.method, url: stripQuery(example.request.url, model.runtime.signatures.map((s) => s.from)) }, config };
    try {
      signed(c);
    } catch {
      continue; // not signable by signRequest alone: covered by its spec examples
    }
    cases.push(c);
  }
  return cases;
}

const cases = providerCases();

type Signed = { method?: string; url?: string; body: string | Uint8Array; headers: Record<string, string> };

function signed(c: Case, body: Buffer = c.sample.body): Signed {
  return signRequest(providerOf(c.model), { secret: c.secret, config: c.config, scheme: c.scheme.name, body, headers: c.sample.headers, method: c.sample.method, url: c.sample.url ?? '/webhooks', now: T });
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP over a socket: every byte and its timing under the test's control.

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from the first byte written to the end of the response. */
  elapsed: number;
  /** Whether the server closed the connection. */
  closed: boolean;
}

type Step = string | Buffer | { wait: number };

/**
 * Writes the steps in order (waiting where told) and resolves with the first complete response, or
 * rejects after `timeoutMs`. Writing stops as soon as a response has arrived.
 */
function rawExchange(port: number, steps: Step[], timeoutMs = 3_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = performance.now();
    let data = Buffer.alloc(0);
    let done = false;
    let closed = false;
    const finish = (error?: Error) => {
      if (done) return;
      const parsed = parse();
      if (!parsed && !error) return;
      done = true;
      clearTimeout(timer);
      if (parsed) resolve({ ...parsed, elapsed: performance.now() - started, closed });
      else reject(error);
      setTimeout(() => socket.destroy(), 50);
    };
    const parse = (): Omit<RawResponse, 'elapsed' | 'closed'> | undefined => {
      let text = data.toString('latin1');
      // skip interim 1xx responses
      while (/^HTTP\/1\.1 1\d\d /.test(text) && text.includes('\r\n\r\n')) text = text.slice(text.indexOf('\r\n\r\n') + 4);
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      let body: Buffer = Buffer.from(text.slice(end + 4), 'latin1');
      const status = Number(statusLine!.split(' ')[1]);
      if (headers['transfer-encoding'] === 'chunked') {
        const decoded = dechunk(body);
        if (!decoded) return undefined;
        body = decoded;
      } else if (length !== undefined) {
        if (body.length < length) return undefined;
      } else if (!closed && status !== 204 && status !== 304) return undefined;
      return { status, headers, body: body.toString('utf8') };
    };
    const timer = setTimeout(() => {
      done = true;
      socket.destroy();
      reject(new Error(`no response within ${timeoutMs} ms; got ${JSON.stringify(data.toString('latin1').slice(0, 200))}`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      finish();
    });
    socket.on('end', () => {
      closed = true;
      finish(new Error(`connection closed; got ${JSON.stringify(data.toString('latin1').slice(0, 200))}`));
    });
    socket.on('close', () => {
      closed = true;
      finish(new Error(`connection closed; got ${JSON.stringify(data.toString('latin1').slice(0, 200))}`));
    });
    socket.on('error', () => undefined); // a reset after the server answered and closed is expected
    socket.on('connect', async () => {
      for (const step of steps) {
        if (done || socket.destroyed) return;
        if (typeof step === 'object' && !Buffer.isBuffer(step)) await new Promise((r) => setTimeout(r, step.wait));
        else await new Promise<void>((r) => socket.write(step, () => r()));
      }
    });
  });
}

/** A chunked body decoded, or undefined until its last chunk has arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts);
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function head(method: string, path: string, headers: Record<string, string | number>, extra = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}${extra}\r\n\r\n`;
}

const chunk = (data: Buffer) => Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);

/** `{ error, message }` JSON (or the spec's own rejection template), never a stack or a file path. */
function expectCleanRefusal(c: Case, status: number, body: string, contentType: string | null | undefined, reason?: string): void {
  expect(body).not.toMatch(/\n\s+at |\/work\/|\/home\/|node:internal|\.[jt]s:\d+/);
  if ((c.model.runtime as { rejection?: unknown }).rejection) return;
  expect(contentType).toMatch(/^application\/json/);
  const parsed = JSON.parse(body) as Record<string, unknown>;
  expect(Object.keys(parsed).sort()).toEqual(['error', 'message']);
  expect(typeof parsed.message).toBe('string');
  if (parsed.error === 'handler_failed') expect(status).toBe(500);
  else {
    expect(Object.hasOwn(REASONS, parsed.error as string), `undocumented ${String(parsed.error)}`).toBe(true);
    expect(status).toBe(REASONS[parsed.error as keyof typeof REASONS]);
  }
  if (reason) expect(parsed.error).toBe(reason);
}

// ---------------------------------------------------------------------------------------------

describe('coverage', () => {
  it('has a case for every built-in provider with a symmetric primary scheme', () => {
    for (const id of ['github', 'stripe', 'slack', 'standard-webhooks']) expect(cases.map((c) => c.id)).toContain(id);
  });
  // Providers without a signable symmetric primary scheme (PayPal, Salesforce) are covered by their spec examples.
});

describe.each(cases.map((c) => [c.id, c] as const))('%s: node handler on a loopback server', (_id, c) => {
  let server: Server;
  let port = 0;
  let ran = 0;
  // no dedup: the same signed body is sent again and again, and must run the handler each time it is accepted
  const receiver = createReceiver(providerOf(c.model), { secret: c.secret, config: c.config, maxBodyBytes: LIMIT, bodyTimeoutMs: BODY_TIMEOUT_MS, dedup: false })
    .onAny(() => void ran++)
    .onError(() => undefined);

  beforeAll(async () => {
    server = createServer(receiver.node);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const method = () => c.sample.method ?? 'POST';
  /** The signed request's path: schemes that sign into the query string (`?code=`) need it. */
  const pathOf = (request: { url?: string }) => request.url ?? '/webhooks';
  /** The header the scheme reads its signature from; undefined for query-string schemes. */
  const signatureHeader = headerNames(c.scheme.from)[0];
  const signatureQuery = /\{query:([^}]+)\}/.exec(c.scheme.from)?.[1];

  /** A genuine delivery is accepted, once: the server is up and the handler count is live. */
  async function expectAlive(): Promise<void> {
    const before = ran;
    const request = signed(c);
    const body = Buffer.from(request.body as Uint8Array);
    const response = await rawExchange(port, [head(method(), pathOf(request), { ...request.headers, 'content-length': body.length, connection: 'close' }), body]);
    expect(response.status, response.body).toBeLessThan(300);
    expect(ran).toBeGreaterThan(before);
  }

  it('accepts a genuine delivery (the harness can see handlers run)', async () => {
    await expectAlive();
  });

  it('413 from Content-Length before the body is sent, and closes the connection', async () => {
    const before = ran;
    const request = signed(c);
    for (const length of [LIMIT + 1, 10 * 1024 * 1024, 2 ** 40]) {
      // headers only: the body never comes, so an answer proves the server did not wait for it
      const response = await rawExchange(port, [head(method(), pathOf(request), { ...request.headers, 'content-length': length })], 2_000);
      expect(response.status, response.body).toBe(413);
      expect(response.elapsed).toBeLessThan(2_000);
      expect(response.headers.connection).toBe('close');
      expectCleanRefusal(c, response.status, response.body, response.headers['content-type'], 'body_too_large');
    }
    expect(ran).toBe(before);
    await expectAlive();
  });

  it('413 while streaming a chunked body past the limit, before the body ends', async () => {
    const before = ran;
    const request = signed(c);
    const steps: Step[] = [head(method(), pathOf(request), { ...request.headers, 'transfer-encoding': 'chunked' })];
    for (let sent = 0; sent <= LIMIT; sent += 16 * 1024) steps.push(chunk(Buffer.alloc(16 * 1024, 0x61)), { wait: 5 });
    // never the terminating chunk: the answer must come without it
    const response = await rawExchange(port, steps, 3_000);
    expect(response.status, response.body).toBe(413);
    expectCleanRefusal(c, response.status, response.body, response.headers['content-type'], 'body_too_large');
    expect(ran).toBe(before);
    await expectAlive();
  });

  it(`408 for a body that stalls, after bodyTimeoutMs (${BODY_TIMEOUT_MS} ms)`, async () => {
    const before = ran;
    const request = signed(c);
    const body = Buffer.from(request.body as Uint8Array);
    const response = await rawExchange(port, [head(method(), pathOf(request), { ...request.headers, 'content-length': body.length }), body.subarray(0, body.length >> 1)], 3_000);
    expect(response.status, response.body).toBe(408);
    expect(response.elapsed).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 20);
    expect(response.elapsed).toBeLessThan(BODY_TIMEOUT_MS + 2_000);
    expectCleanRefusal(c, response.status, response.body, response.headers['content-type'], 'body_timeout');
    expect(ran).toBe(before);
  });

  it('408 for a body that trickles in steadily (the limit is on the whole body, not on idle time)', async () => {
    const before = ran;
    const request = signed(c);
    const body = Buffer.from(request.body as Uint8Array);
    const steps: Step[] = [head(method(), pathOf(request), { ...request.headers, 'content-length': body.length })];
    for (let i = 0; i < Math.min(body.length, 100); i++) steps.push(body.subarray(i, i + 1), { wait: 25 });
    const response = await rawExchange(port, steps, 4_000);
    expect(response.status, response.body).toBe(408);
    expect(response.elapsed).toBeLessThan(BODY_TIMEOUT_MS + 2_000);
    expectCleanRefusal(c, response.status, response.body, response.headers['content-type'], 'body_timeout');
    expect(ran).toBe(before);
    await expectAlive();
  });

  it('too many or too large headers: node answers 431 and the server stays up', async () => {
    const before = ran;
    const request = signed(c);
    const body = Buffer.from(request.body as Uint8Array);
    const many = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`x-h${i}`, 'v']));
    const huge = { 'x-huge': 'a'.repeat(64 * 1024) };
    const variants: Array<Record<string, string>> = [{ ...request.headers, ...many }, { ...request.headers, ...huge }];
    if (signatureHeader) variants.push({ ...request.headers, [signatureHeader]: request.headers[signatureHeader] + ' '.repeat(1024 * 1024) });
    for (const headers of variants) {
      const response = await rawExchange(port, [head(method(), pathOf(request), { ...headers, 'content-length': body.length }), body], 3_000);
      expect(response.status).toBe(431);
    }
    expect(ran).toBe(before);
    await expectAlive();
  });

  it('more than 2,000 headers within the size limit: answered, documented, server up', async () => {
    const request = signed(c);
    const body = Buffer.from(request.body as Uint8Array);
    // one short name repeated: node keeps the first 2,000 header lines (maxHeadersCount) and drops the rest
    const filler = Array.from({ length: 2_100 }, () => 'a: 1').join('\r\n');
    for (const order of ['signature first', 'signature last'] as const) {
      const signedHeaders = Object.entries({ ...request.headers, 'content-length': body.length }).map(([k, v]) => `${k}: ${v}`).join('\r\n');
      const lines = order === 'signature first' ? `${signedHeaders}\r\n${filler}` : `${filler}\r\n${signedHeaders}`;
      const response = await rawExchange(port, [`${method()} ${pathOf(request)} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}\r\nConnection: close\r\n\r\n`, body], 3_000);
      if (response.status >= 300) expectCleanRefusal(c, response.status, response.body, response.headers['content-type']);
      // node keeps the first 2,000 header lines: a signature header after them is dropped, never half-read
      else if (signatureHeader) expect(order, 'only with the signed headers among the first 2,000').toBe('signature first');
    }
    await expectAlive();
  });

  it('a bare CR or LF inside a header value: node answers 400, no handler runs', async () => {
    const before = ran;
    const request = signed(c);
    const body = Buffer.from(request.body as Uint8Array);
    const header = signatureHeader ?? 'x-hookgen-probe';
    for (const bad of ['\r', '\n', '\0']) {
      const value = request.headers[header] ?? 'probe-value';
      const headers = { ...request.headers, [header]: value.slice(0, 4) + bad + value.slice(4), 'content-length': body.length };
      const response = await rawExchange(port, [head(method(), pathOf(request), headers), body], 3_000).catch((error: Error) => ({ status: 0, error }));
      // node's parser refuses it (400), or with a bare LF reads a new header line: never a 2xx
      if ('error' in response) throw response.error;
      expect(response.status, JSON.stringify(bad)).toBeGreaterThanOrEqual(400);
    }
    expect(ran).toBe(before);
    await expectAlive();
  });

  it('refusals are `{ error, message }` JSON with the reason and its status, never a stack', async () => {
    const request = signed(c);
    const body = Buffer.from(request.body as Uint8Array);
    const tampered = Buffer.from(body);
    tampered[tampered.length >> 1] = tampered[tampered.length >> 1]! ^ 1;
    const withoutSignature = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k !== signatureHeader));
    let unsignedPath = pathOf(request);
    if (signatureQuery) {
      const url = new URL(unsignedPath, 'http://x');
      url.searchParams.delete(signatureQuery);
      unsignedPath = url.pathname + url.search;
    }
    const unusedMethod = ['PUT', 'PATCH', 'DELETE'].find((m) => !c.model.runtime.methods.includes(m) && !c.model.runtime.handshakes.some((h) => h.when.method?.includes(m)))!;
    const tries: Array<[Step[], string]> = [
      [[head(unusedMethod, pathOf(request), { ...request.headers, 'content-length': body.length, connection: 'close' }), body], 'method_not_allowed'],
      [[head(method(), unsignedPath, { ...withoutSignature, 'content-length': body.length, connection: 'close' }), body], 'missing_signature'],
    ];
    // a tampered body is refused when the scheme signs the body (not every one does: Kudu-style tokens)
    if (c.scheme.content?.includes('body')) tries.push([[head(method(), pathOf(request), { ...request.headers, 'content-length': tampered.length, connection: 'close' }), tampered], 'signature_mismatch']);
    if (signatureHeader) tries.push([[head(method(), pathOf(request), { ...request.headers, 'content-length': body.length, connection: 'close' }, `\r\n${signatureHeader}: ${request.headers[signatureHeader]}`), body], 'duplicate_header']);
    for (const [steps, reason] of tries) {
      const response = await rawExchange(port, steps);
      expectCleanRefusal(c, response.status, response.body, response.headers['content-type'], reason);
    }
    // a handler that throws with a path and a stack in its error: 500, none of it in the answer
    const failing = createReceiver(providerOf(c.model), { secret: c.secret, config: c.config }).onAny(() => {
      throw new Error('database down at /srv/app/db.ts:42');
    }).onError(() => undefined);
    const other = createServer(failing.node);
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const response = await rawExchange((other.address() as AddressInfo).port, [head(method(), pathOf(request), { ...request.headers, 'content-length': body.length, connection: 'close' }), body]);
      expect(response.status).toBe(500);
      expect(response.body).not.toContain('database down');
      expectCleanRefusal(c, response.status, response.body, response.headers['content-type'], 'handler_failed');
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});

describe.each(cases.map((c) => [c.id, c] as const))('%s: fetch handler with streamed bodies', (_id, c) => {
  let ran = 0;
  const receiver = createReceiver(providerOf(c.model), { secret: c.secret, config: c.config, maxBodyBytes: LIMIT, bodyTimeoutMs: BODY_TIMEOUT_MS })
    .onAny(() => void ran++)
    .onError(() => undefined);
  let accepted = -1;

  function streamed(request: ReturnType<typeof signed>, source: UnderlyingDefaultSource<Uint8Array>, extraHeaders: Record<string, string> = {}) {
    return new Request(`http://127.0.0.1${request.url ?? '/webhooks'}`, { method: c.sample.method ?? 'POST', headers: { ...request.headers, ...extraHeaders }, body: new ReadableStream(source), duplex: 'half' } as RequestInit);
  }

  async function check(response: Response, status: number, reason: string) {
    expect(response.status).toBe(status);
    expectCleanRefusal(c, response.status, await response.text(), response.headers.get('content-type'), reason);
  }

  it('accepts a genuine delivery sent as a stream', async () => {
    const request = signed(c);
    const body = Buffer.from(request.body as Uint8Array);
    const response = await receiver.fetch(
      streamed(request, {
        start(controller) {
          controller.enqueue(new Uint8Array(body));
          controller.close();
        },
      }),
    );
    expect(response.status, await response.clone().text()).toBeLessThan(300);
    expect(ran).toBeGreaterThan(0);
    accepted = ran;
  });

  it('413 from Content-Length without reading the body', async () => {
    const request = signed(c);
    let pulled = 0;
    const response = await receiver.fetch(streamed(request, { pull: () => void pulled++ }, { 'content-length': String(10 * 1024 * 1024) }));
    await check(response, 413, 'body_too_large');
    expect(pulled).toBeLessThanOrEqual(1);
    expect(ran).toBe(accepted);
  });

  it('413 while streaming past the limit, without reading to the end', async () => {
    const request = signed(c);
    let sent = 0;
    const response = await receiver.fetch(
      streamed(request, {
        pull(controller) {
          sent += 16 * 1024;
          controller.enqueue(new Uint8Array(16 * 1024).fill(0x61));
          if (sent > 100 * LIMIT) controller.close();
        },
      }),
    );
    await check(response, 413, 'body_too_large');
    expect(sent).toBeLessThan(10 * LIMIT);
    expect(ran).toBe(accepted);
  });

  it(`408 for a body that stalls or trickles, after bodyTimeoutMs (${BODY_TIMEOUT_MS} ms)`, async () => {
    const request = signed(c);
    for (const source of [
      { start: (controller: ReadableStreamDefaultController<Uint8Array>) => controller.enqueue(new Uint8Array([0x7b])) },
      {
        pull: (controller: ReadableStreamDefaultController<Uint8Array>) =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              try {
                controller.enqueue(new Uint8Array([0x20]));
              } catch {
                // cancelled by the handler after its timeout
              }
              resolve();
            }, 25),
          ),
      },
    ]) {
      const started = performance.now();
      const response = await receiver.fetch(streamed(request, source));
      const elapsed = performance.now() - started;
      await check(response, 408, 'body_timeout');
      expect(elapsed).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 20);
      expect(elapsed).toBeLessThan(BODY_TIMEOUT_MS + 2_000);
    }
    expect(ran).toBe(accepted);
  });
});
