import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createReceiver, signRequest } from '../../runtime/index.js';
import { trello } from '../../generated/trello/index.js';
import { github } from '../../generated/github/index.js';
import { unifiedDiff } from '../../generator/project/diff.js';
import { addProviderExport } from '../../generator/project/index-file.js';
import { inDir, repo, tempProject } from './support.js';

const secret = 'trello-test-secret';
const callbackUrl = 'http://127.0.0.1/webhooks/trello';

/** A typed receiver on loopback, as a user's app would run it; records what its handlers saw. */
async function app() {
  const seen: string[] = [];
  const receiver = createReceiver(trello, { secret, config: { callbackUrl } }).on('createCard', (e) => {
    seen.push(e.payload.action.data.card.name);
  });
  const server = createServer(receiver.node).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/trello`;
  return { seen, url, close: () => new Promise((r) => server.close(r)) };
}

describe('hookgen new-provider', () => {
  it('scaffolds a spec that validates as written, with a signed example that verifies', async () => {
    const dir = tempProject();
    const result = await inDir(dir, ['new-provider', 'acme', '--json']);
    expect(result.exit).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 'acme', event: 'item.created', exampleSecret: 'acme-example-secret' });
    const yaml = readFileSync(join(dir, 'acme/provider.yaml'), 'utf8');
    expect(yaml).toContain('docs/spec-language.md');
    expect(yaml).toMatch(/^# §3\.6/m);
    const validate = await inDir(dir, ['validate', 'acme/provider.yaml', '--json']);
    expect(validate.exit).toBe(0);
    expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, provider: 'acme', events: 1, examples: 2 });
    // The example request, verified by the receiver: the HMAC the command computed is right.
    const body = readFileSync(join(dir, 'acme/examples/payloads/item.created.json'), 'utf8');
    const signature = /x-acme-signature: "(sha256=[0-9a-f]{64})"/.exec(yaml)![1]!;
    const request = join(dir, 'request.json');
    writeFileSync(request, JSON.stringify({ headers: { 'content-type': 'application/json', 'x-acme-signature': signature }, body }));
    const verify = await inDir(dir, ['verify', '-p', 'acme/provider.yaml', '-s', 'acme-example-secret', '-r', request, '--json']);
    expect(verify.exit).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ result: 'accepted', event: 'item.created', id: 'evt_0001' });
  });

  it('does not overwrite an existing spec (exit 1) and refuses a bad id (exit 2)', async () => {
    const dir = tempProject();
    await inDir(dir, ['new-provider', 'acme']);
    expect((await inDir(dir, ['new-provider', 'acme'])).exit).toBe(1);
    expect((await inDir(dir, ['new-provider', 'acme', '--force'])).exit).toBe(0);
    expect((await inDir(dir, ['new-provider', 'Acme_Co'])).exit).toBe(2);
  });
});

describe('hookgen trigger', () => {
  it("signs Trello's createCard example as Trello does and POSTs it; the typed handler sees the card", async () => {
    const server = await app();
    const result = await inDir(repo, ['trigger', 'trello', 'createCard', '--url', server.url, '--secret', secret, '--config', `callbackUrl=${callbackUrl}`, '--json']);
    await server.close();
    expect(result.exit).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ provider: 'trello', event: 'createCard', status: 200, ok: true });
    expect(out.payload).toMatch(/schemas\/providers\/trello\/examples\/(payloads|requests)\/createCard\.json$/);
    expect(out.request.headers['x-trello-webhook']).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]).toMatch(/\S/);
  });

  it('exits 1 when the receiver refuses (wrong secret), printing the status and the answer', async () => {
    const server = await app();
    const result = await inDir(repo, ['trigger', 'trello', 'createCard', '--url', server.url, '--secret', 'another', '--config', `callbackUrl=${callbackUrl}`]);
    await server.close();
    expect(result.exit).toBe(1);
    expect(result.stdout).toContain('401');
    expect(result.stdout).toContain('signature_mismatch');
    expect(server.seen).toEqual([]);
  });

  it('puts the event name in the header the spec reads it from (GitHub), and builds a body for an event without example', async () => {
    const names: string[] = [];
    const receiver = createReceiver(github, { secret: 's' }).onAny((e) => {
      names.push(e.key);
    });
    const server = createServer(receiver.node).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const push = await inDir(repo, ['trigger', 'github', 'push', '--url', url, '--secret', 's']);
    const file = join(tempProject(), 'p.json');
    writeFileSync(file, JSON.stringify({ action: 'opened', issue: { number: 1 } }));
    const own = await inDir(repo, ['trigger', 'github', 'issues.opened', '--url', url, '--secret', 's', '--payload', file]);
    server.close();
    expect([push.exit, own.exit]).toEqual([0, 0]);
    expect(names).toEqual(['push', 'issues.opened']);
  });

  it('says when nothing answers (exit 1) and when the provider is unknown (exit 2)', async () => {
    expect((await inDir(repo, ['trigger', 'trello', 'createCard', '--url', 'http://127.0.0.1:9/x', '--secret', 's', '--config', 'callbackUrl=x'])).exit).toBe(1);
    expect((await inDir(repo, ['trigger', 'nope', 'x', '--url', 'http://127.0.0.1:9/'])).exit).toBe(2);
  });
});

describe('hookgen listen', () => {
  const children: Array<ReturnType<typeof spawn>> = [];
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

  it('verifies what arrives and prints one JSON line per request; stops on SIGINT', async () => {
    const child = spawn(process.execPath, [join(repo, 'bin/run.js'), 'listen', '--provider', 'trello', '--port', '0', '--secret', secret, '--config', `callbackUrl=${callbackUrl}`, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async () => JSON.parse((await lines.next()).value as string);
    const listening = await next();
    expect(listening).toMatchObject({ type: 'listening', provider: 'trello' });
    const url = `${listening.url}webhooks/trello`;

    const trigger = await inDir(repo, ['trigger', 'trello', 'createCard', '--url', url, '--secret', secret, '--config', `callbackUrl=${callbackUrl}`]);
    expect(trigger.exit).toBe(0);
    expect(await next()).toMatchObject({ type: 'event', verified: true, event: 'createCard', id: '6569f3c2a1b2c3d4e5f60711', status: 200, path: '/webhooks/trello' });

    const body = readFileSync(join(repo, 'schemas/providers/trello/examples/requests/createCard.json'));
    const signed = signRequest(trello, { secret, config: { callbackUrl }, body, headers: { 'content-type': 'application/json' } });
    const tampered = Buffer.from(body);
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 1;
    const refused = await fetch(url, { method: 'POST', headers: signed.headers, body: tampered });
    expect(refused.status).toBe(401);
    expect(await next()).toMatchObject({ type: 'rejected', verified: false, reason: 'signature_mismatch', status: 401 });

    await fetch(url, { method: 'HEAD' });
    expect(await next()).toMatchObject({ type: 'handshake', handshake: 'creation', status: 200 });

    child.kill('SIGINT');
    expect(await next()).toEqual({ type: 'stopped', received: 3 });
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('prints plain text lines when not asked for JSON', async () => {
    const child = spawn(process.execPath, [join(repo, 'bin/run.js'), 'listen', '-p', 'trello', '--port', '0', '-s', secret, '-c', `callbackUrl=${callbackUrl}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = (await lines.next()).value as string;
    const url = /on (http:\/\/\S+) /.exec(first)![1]!;
    await inDir(repo, ['trigger', 'trello', 'createCard', '--url', url, '--secret', 'wrong', '--config', `callbackUrl=${callbackUrl}`]);
    const line = (await lines.next()).value as string;
    expect(line).toMatch(/^\d\d:\d\d:\d\d rejected POST \/ → 401 signature_mismatch: /);
    expect(line).not.toContain('\u001b[');
    child.kill('SIGINT');
    await once(child, 'exit');
  });
});

describe('hookgen verify with a captured raw HTTP request', () => {
  const body = readFileSync(join(repo, 'schemas/providers/trello/examples/requests/createCard.json'));
  const signed = signRequest(trello, { secret, config: { callbackUrl }, body, headers: { 'content-type': 'application/json' } });
  const head = (eol: string, extra: string[] = []) =>
    [`POST /webhooks/trello HTTP/1.1`, 'Host: localhost:3000', ...Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`), ...extra].join(eol) + eol + eol;
  const file = (bytes: Buffer) => {
    const f = join(tempProject(), 'captured.http');
    writeFileSync(f, bytes);
    return f;
  };
  const verify = (f: string) => inDir(repo, ['verify', '-p', 'trello', '-s', secret, '-c', `callbackUrl=${callbackUrl}`, '-r', f, '--json']);

  it('accepts it with CRLF or LF line ends, cut to Content-Length (nc adds a newline), or chunked', async () => {
    const crlf = await verify(file(Buffer.concat([Buffer.from(head('\r\n', [`Content-Length: ${body.length}`])), body, Buffer.from('\n')])));
    expect(crlf.exit).toBe(0);
    expect(JSON.parse(crlf.stdout)).toMatchObject({ result: 'accepted', event: 'createCard' });
    expect((await verify(file(Buffer.concat([Buffer.from(head('\n')), body])))).exit).toBe(0);
    const half = Math.floor(body.length / 2);
    const chunked = Buffer.concat([
      Buffer.from(head('\r\n', ['Transfer-Encoding: chunked'])),
      Buffer.from(`${half.toString(16)}\r\n`), body.subarray(0, half), Buffer.from('\r\n'),
      Buffer.from(`${(body.length - half).toString(16)}\r\n`), body.subarray(half), Buffer.from('\r\n0\r\n\r\n'),
    ]);
    expect((await verify(file(chunked))).exit).toBe(0);
  });

  it('rejects a tampered capture (exit 1) and says what is wrong with a file that is not a request (exit 2)', async () => {
    const tampered = Buffer.from(body);
    tampered[10] = tampered[10]! ^ 1;
    const result = await verify(file(Buffer.concat([Buffer.from(head('\r\n')), tampered])));
    expect(result.exit).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ reason: 'signature_mismatch' });
    const bad = await verify(file(Buffer.from('hello world\n\nbody')));
    expect(bad.exit, String(bad.error)).toBe(2);
    expect(bad.stdout).toContain('not a request line');
  });
});

describe('project helpers', () => {
  it('unifiedDiff: hunks with context, like diff -u', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].join('\n') + '\n';
    const b = a.replace('2\n', 'two\n').replace('9\n', '');
    expect(unifiedDiff(a, b, 'a', 'b')).toBe(['--- a', '+++ b', '@@ -1,10 +1,9 @@', ' 1', '-2', '+two', ' 3', ' 4', ' 5', ' 6', ' 7', ' 8', '-9', ' 10', ''].join('\n'));
    expect(unifiedDiff(a, a, 'a', 'b')).toBe('');
  });

  it('addProviderExport: creates the file, keeps an existing export, appends when there is no declaration', async () => {
    expect(await addProviderExport(undefined, 'azure-alert', 'azureAlert')).toContain("export { azureAlert } from './azure-alert/index.js';\n");
    const existing = "export { trello } from './trello/index.js'\n";
    expect(await addProviderExport(existing, 'trello', 'trello')).toBe(existing);
    expect(await addProviderExport('const x = 1;', 'trello', 'trello')).toBe("const x = 1;\nexport { trello } from './trello/index.js';\n");
  });
});
