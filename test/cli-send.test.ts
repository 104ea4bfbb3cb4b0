import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand } from '@oclif/test';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSender, sqliteStore, type Store } from '../runtime/index.js';
import { startReceiver, type Receiver } from './send/support/receiver.js';
import { PG_URL, pgAvailable } from './send/support/stores.js';

/**
 * The sender's commands through oclif's test helper, run from dist/ as users run them. runCommand
 * re-splits its arguments on spaces, so no argument here has one.
 */
const root = resolve('.');
const run = (args: string[]) => runCommand(args, { root });

beforeEach(() => {
  process.exitCode = undefined;
});

function exitCode(): number {
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return code;
}

/** Runs a --json command expecting success, and answers its JSON. */
async function json<T = any>(args: string[]): Promise<T> { // JSON of many shapes: the assertions check them
  const result = await run([...args, '--json']);
  const code = exitCode();
  if (code !== 0 || result.error) throw new Error(`${args.join(' ')} exited ${code}: ${result.error?.message ?? result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

async function failure(args: string[]): Promise<{ code: number; message: string }> {
  const result = await run(args);
  return { code: exitCode(), message: result.error?.message ?? '' };
}

describe('hookgen subscriptions and deliveries on a SQLite file', () => {
  let dir: string;
  let db: string;
  let endpoint: Receiver;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hookgen-cli-send-'));
    db = join(dir, 'hooks.db');
    endpoint = await startReceiver((req, res) => res.writeHead(req.url?.startsWith('/fail') ? 503 : 204).end());
  });
  afterEach(async () => {
    await endpoint.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Publishes through the runtime on the same file, as an application would. */
  async function publish(type: string, count = 1): Promise<void> {
    const store: Store = sqliteStore({ path: db });
    try {
      const sender = createSender({ store });
      for (let i = 0; i < count; i++) await sender.publish(type, { i });
    } finally {
      await store.close();
    }
  }

  it('creates, lists, reads, updates, pauses, resumes, rotates and deletes a subscription', async () => {
    const created = await json(['subscriptions', 'create', '--store', db, '--url', `${endpoint.url}/ok`, '--event', 'invoice.*', '--event', 'user.created',
      '-H', 'X-Api-Key:k-123', '--metadata', '{"team":"billing"}', '--tenant', 'acme']);
    expect(created).toMatchObject({ url: `${endpoint.url}/ok`, events: ['invoice.*', 'user.created'], tenant: 'acme', metadata: { team: 'billing' }, headers: { 'x-api-key': '[redacted]' } });
    expect(created.secret).toMatch(/^whsec_/);
    const id = created.id as string;

    const human = await run(['subscriptions', 'create', '--store', db, '--url', 'https://example.com/other']);
    expect(exitCode()).toBe(0);
    expect(human.stdout).toMatch(/Signing secret \(shown once\): whsec_/);

    expect((await json(['subscriptions', 'list', '--store', db])).map((s: { id: string }) => s.id)).toContain(id);
    expect((await json(['subscriptions', 'list', '--store', db, '--tenant', 'acme'])).map((s: { id: string }) => s.id)).toEqual([id]);
    const read = await run(['subscriptions', 'get', id, '--store', db]);
    expect(read.stdout).toContain('x-api-key');
    expect(read.stdout).not.toContain(created.secret);
    expect(read.stdout).not.toContain('k-123');

    expect(await json(['subscriptions', 'update', id, '--store', db, '--url', 'https://example.com/v2', '--event', '*'])).toMatchObject({ url: 'https://example.com/v2', events: ['*'] });
    expect((await json(['subscriptions', 'pause', id, '--store', db])).paused).toBe(true);
    expect((await json(['subscriptions', 'resume', id, '--store', db])).paused).toBe(false);
    const rotated = await json(['subscriptions', 'rotate-secret', id, '--store', db, '--grace', '1h']);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.previousSecretsExpireAt).toHaveLength(1);
    expect(Date.parse(rotated.previousSecretsExpireAt[0]) - Date.now()).toBeGreaterThan(3_500_000);

    expect(await json(['subscriptions', 'delete', id, '--store', db])).toEqual({ deleted: id });
    expect(await failure(['subscriptions', 'get', id, '--store', db])).toEqual({ code: 1, message: `no subscription \`${id}\`` });
  });

  it('reads the store from HOOKGEN_STORE, and says what is wrong with a missing store or bad input (exit 2)', async () => {
    const missing = await failure(['subscriptions', 'list', '--store', join(dir, 'nope.db')]);
    expect(missing.code).toBe(2);
    expect(missing.message).toMatch(/no store at .*nope\.db/);
    const none = await failure(['subscriptions', 'list']);
    expect(none).toMatchObject({ code: 2, message: expect.stringMatching(/HOOKGEN_STORE/) });

    process.env.HOOKGEN_STORE = db;
    try {
      const created = await json(['subscriptions', 'create', '--url', 'https://example.com/env']);
      expect((await json(['subscriptions', 'list'])).map((s: { id: string }) => s.id)).toEqual([created.id]);
    } finally {
      delete process.env.HOOKGEN_STORE;
    }
    expect(await failure(['subscriptions', 'create', '--store', db, '--url', 'ftp://example.com/x'])).toMatchObject({ code: 2, message: expect.stringMatching(/http or https/) });
    expect(await failure(['subscriptions', 'create', '--store', db, '--url', 'https://example.com', '--metadata', '[1]'])).toMatchObject({ code: 2, message: expect.stringMatching(/JSON object/) });
    expect(await failure(['subscriptions', 'create', '--store', db, '--url', 'https://example.com', '-H', 'no-colon'])).toMatchObject({ code: 2, message: expect.stringMatching(/name:value/) });
    expect(await failure(['subscriptions', 'rotate-secret', 'sub_x', '--store', db, '--grace', 'soon'])).toMatchObject({ code: 2, message: expect.stringMatching(/--grace/) });
    expect(await failure(['subscriptions', 'update', 'sub_x', '--store', db])).toMatchObject({ code: 2, message: expect.stringMatching(/nothing to change/) });
    expect((await failure(['subscriptions', 'pause', 'sub_x', '--store', db])).code).toBe(1);
  });

  it('runs a worker once, then lists, pages, reads and replays deliveries', async () => {
    await json(['subscriptions', 'create', '--store', db, '--url', `${endpoint.url}/ok`]);
    const failing = await json(['subscriptions', 'create', '--store', db, '--url', `${endpoint.url}/fail`]);
    await publish('invoice.paid', 2);

    // --verbose: a line per attempt before the summary.
    const result = await run(['worker', '--store', db, '--once', '--allow-private-addresses', '--verbose', '--json']);
    expect(exitCode()).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const ran = lines.at(-1);
    expect(ran).toMatchObject({ type: 'stopped', attempts: 4, counts: { succeeded: 2, pending: 2 } });
    const attempts = lines.slice(0, -1);
    expect(attempts).toHaveLength(4);
    expect(attempts.filter((a) => a.type === 'attempt' && a.status === 204 && a.outcome === 'succeeded' && a.url.endsWith('/ok'))).toHaveLength(2);
    expect(attempts.filter((a) => a.type === 'attempt' && a.status === 503 && a.outcome === 'retry' && a.subscription === failing.id && a.n === 1)).toHaveLength(2);
    const failed = await json(['deliveries', 'list', '--store', db, '--status', 'failed', '--subscription', failing.id]);
    expect(failed.data).toHaveLength(0); // 503 is retried: pending, not failed
    const pending = await json(['deliveries', 'list', '--store', db, '--status', 'pending', '--subscription', failing.id]);
    expect(pending.data).toHaveLength(2);
    expect(pending.data[0]).toMatchObject({ lastStatus: 503, attempts: 1 });
    const succeeded = await json(['deliveries', 'list', '--store', db, '--status', 'succeeded', '--since', '10m']);
    expect(succeeded.data).toHaveLength(2);
    expect((await json(['deliveries', 'list', '--store', db, '--until', '2000-01-01T00:00:00Z'])).data).toEqual([]);

    const first = await json(['deliveries', 'list', '--store', db, '--limit', '3']);
    expect(first.data).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await json(['deliveries', 'list', '--store', db, '--limit', '3', '--cursor', first.nextCursor]);
    expect(second).toMatchObject({ nextCursor: null });
    expect(second.data).toHaveLength(1);
    expect(new Set([...first.data, ...second.data].map((d: { id: string }) => d.id)).size).toBe(4);
    const page = await run(['deliveries', 'list', '--store', db, '--limit', '3']);
    expect(page.stdout).toContain(`--cursor ${first.nextCursor}`);

    const done = succeeded.data[0];
    expect(await json(['deliveries', 'get', done.id, '--store', db])).toMatchObject({ id: done.id, status: 'succeeded' });
    expect(await json(['deliveries', 'replay', done.id, '--store', db])).toEqual({ replayed: 1 });
    expect((await json(['deliveries', 'get', done.id, '--store', db])).status).toBe('pending');
    expect(await failure(['deliveries', 'replay', done.id, 'dlv_unknown', '--store', db])).toMatchObject({ code: 1, message: expect.stringMatching(/dlv_unknown/) });
    expect((await failure(['deliveries', 'replay', '--store', db])).code).toBe(2);
    expect((await failure(['deliveries', 'list', '--store', db, '--since', 'last-week'])).code).toBe(2);
    expect((await failure(['deliveries', 'attempts', 'dlv_unknown', '--store', db])).code).toBe(1);
  });

  it('keeps the SSRF guard on unless --allow-private-addresses is given', async () => {
    await json(['subscriptions', 'create', '--store', db, '--url', `${endpoint.url}/ok`]);
    await publish('invoice.paid');
    expect(await json(['worker', '--store', db, '--once'])).toMatchObject({ attempts: 1, counts: { pending: 1, succeeded: 0 } });
    expect(endpoint.requests).toEqual([]);
    const { data } = await json(['deliveries', 'list', '--store', db]);
    const attempts = await json(['deliveries', 'attempts', data[0].id, '--store', db]);
    expect(attempts).toEqual([expect.objectContaining({ n: 1, status: null, errorClass: 'ssrf' })]);
    const human = await run(['deliveries', 'attempts', data[0].id, '--store', db]);
    expect(human.stdout).toMatch(/#1 .* ssrf .*not a public address/);
  });

  it('runs a worker until SIGTERM, printing counts as deliveries succeed, and stops gracefully', async () => {
    await json(['subscriptions', 'create', '--store', db, '--url', `${endpoint.url}/ok`]);
    const child = spawn(process.execPath, [join(root, 'bin/run.js'), 'worker', '--store', db, '--allow-private-addresses', '--interval', '100ms', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<{ type: string; counts?: Record<string, number> }> = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const part of parts) if (part.trim()) lines.push(JSON.parse(part));
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await expect.poll(() => lines.some((l) => l.type === 'started'), { timeout: 15_000 }).toBe(true);
      await publish('user.created', 3);
      await expect.poll(() => endpoint.requests.length, { timeout: 10_000 }).toBe(3);
      await expect.poll(() => lines.some((l) => l.type === 'counts' && l.counts?.succeeded === 3), { timeout: 10_000 }).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(lines[lines.length - 1]).toMatchObject({ type: 'stopped', counts: { succeeded: 3, pending: 0, inflight: 0 } });
      expect(stderr).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe.runIf(pgAvailable)('hookgen subscriptions and deliveries on PostgreSQL', () => {
  const schema = `cli_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const store = `${PG_URL}?schema=${schema}`;
  let endpoint: Receiver;
  beforeEach(async () => {
    endpoint = await startReceiver();
  });
  afterEach(async () => {
    await endpoint.close();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('round-trips a subscription, a delivery and a replay through a postgres:// store', async () => {
    const created = await json(['subscriptions', 'create', '--store', store, '--url', `${endpoint.url}/pg`, '--tenant', 'acme']);
    expect((await json(['subscriptions', 'list', '--store', store])).map((s: { id: string }) => s.id)).toEqual([created.id]);
    const { postgresStore } = await import('../runtime/index.js');
    const direct = await postgresStore({ connectionString: PG_URL, schema });
    try {
      await createSender({ store: direct }).publish('order.shipped', { n: 1 }, { tenant: 'acme' });
    } finally {
      await direct.close();
    }
    expect(await json(['worker', '--store', store, '--once', '--allow-private-addresses'])).toMatchObject({ attempts: 1, counts: { succeeded: 1 } });
    expect(endpoint.requests.map((r) => r.path)).toEqual(['/pg']);
    const { data } = await json(['deliveries', 'list', '--store', store, '--tenant', 'acme']);
    expect(data).toEqual([expect.objectContaining({ subscriptionId: created.id, status: 'succeeded', lastStatus: 204 })]);
    expect(await json(['deliveries', 'replay', data[0].id, '--store', store])).toEqual({ replayed: 1 });
    expect(await json(['worker', '--store', store, '--once', '--allow-private-addresses'])).toMatchObject({ attempts: 1 });
    expect(endpoint.requests).toHaveLength(2);
    const bad = await failure(['subscriptions', 'list', '--store', 'postgres://nobody@127.0.0.1:1/none']);
    expect(bad.code).toBe(2);
    expect(bad.message).toMatch(/cannot open the PostgreSQL store/);
  });
});
