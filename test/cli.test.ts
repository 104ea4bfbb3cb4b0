import { beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '@oclif/test';
import { mkdtempSync, writeFileSync, cpSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * The commands through oclif's own test helper, run from dist/ as users run them (the CI builds
 * first). Exit codes are part of the interface: scripts depend on them.
 */
const root = resolve('.');
const run = (args: string[]) => runCommand(args, { root });

function requestFile(request: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookgen-cli-'));
  const file = join(dir, 'request.json');
  writeFileSync(file, JSON.stringify(request));
  return file;
}

const githubDocsVector = {
  method: 'POST',
  url: '/',
  headers: { 'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' },
  body: 'Hello, World!',
};

// oclif reports exit codes through process.exitCode as well; each test reads its own.
beforeEach(() => {
  process.exitCode = undefined;
});

function exitCodeAfter(_result: unknown): number {
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return Number(code);
}

describe('hookgen verify', () => {
  it("finds GitHub's published vector's signature valid, and says its body is not an event (exit 3)", async () => {
    // The secret has spaces; the flag also reads HOOKGEN_SECRET, as a shell script would pass it.
    process.env.HOOKGEN_SECRET = "It's a Secret to Everybody";
    const result = await run(['verify', '--provider', 'github', '--request', requestFile(githubDocsVector)]);
    delete process.env.HOOKGEN_SECRET;
    expect(exitCodeAfter(result)).toBe(3);
    expect(result.stdout).toContain('signature valid');
    expect(result.stdout).toContain('invalid_body');
  });

  it('rejects the same vector with one byte of the body changed (exit 1)', async () => {
    process.env.HOOKGEN_SECRET = "It's a Secret to Everybody";
    const result = await run(['verify', '-p', 'github', '-r', requestFile({ ...githubDocsVector, body: 'Hello, World?' }), '--json']);
    delete process.env.HOOKGEN_SECRET;
    expect(exitCodeAfter(result)).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ result: 'refused', authenticated: false, reason: 'signature_mismatch', status: 401 });
  });

  const slackVector = {
    method: 'POST',
    url: '/slack/commands',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    },
    body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  };

  it("accepts Slack's published vector at its own time, as a slash_command (exit 0)", async () => {
    const result = await run(['verify', '-p', 'slack', '-s', '8f742231b10e8888abcd99yyyzzz85a5', '-r', requestFile(slackVector), '--now', '1531420618', '--json']);
    expect(exitCodeAfter(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ result: 'accepted', event: 'slash_command', scheme: 'v0' });
  });

  it("says Slack's vector is genuine but stale at today's clock (exit 3), and forged when changed (exit 1)", async () => {
    const stale = await run(['verify', '-p', 'slack', '-s', '8f742231b10e8888abcd99yyyzzz85a5', '-r', requestFile(slackVector)]);
    expect(exitCodeAfter(stale)).toBe(3);
    expect(stale.stdout).toContain('timestamp_too_old');
    const forged = await run(['verify', '-p', 'slack', '-s', '8f742231b10e8888abcd99yyyzzz85a5', '-r', requestFile({ ...slackVector, body: slackVector.body.replace('roadrunner', 'roadrunnex') }), '--now', '1531420618']);
    expect(exitCodeAfter(forged)).toBe(1);
    expect(forged.stdout).toContain('signature_mismatch');
  });

  const standardVector = {
    headers: { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
    body: '{"test": 2432232314}',
  };

  it("finds the Standard Webhooks vector's signature valid though its body has no type (exit 3), and rejects a changed byte (exit 1)", async () => {
    const genuine = await run(['verify', '-p', 'standard-webhooks', '-s', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '-r', requestFile(standardVector), '--now', '1614265330', '--json']);
    expect(exitCodeAfter(genuine)).toBe(3);
    expect(JSON.parse(genuine.stdout)).toMatchObject({ authenticated: true, reason: 'missing_event_name' });
    const bodyBase64 = Buffer.from('{"test": 2432232315}').toString('base64');
    const forged = await run(['verify', '-p', 'standard-webhooks', '-s', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '-r', requestFile({ headers: standardVector.headers, bodyBase64 }), '--now', '1614265330', '--json']);
    expect(exitCodeAfter(forged)).toBe(1);
    expect(JSON.parse(forged.stdout)).toMatchObject({ authenticated: false, reason: 'signature_mismatch' });
  });

  it('binds --config to other credentials (the Ed25519 public key)', async () => {
    const request = { headers: { ...standardVector.headers, 'webhook-signature': 'v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==' }, body: standardVector.body };
    const result = await run(['verify', '-p', 'standard-webhooks', '--config', 'publicKey=whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=', '-r', requestFile(request), '--now', '1614265330', '--json']);
    expect(exitCodeAfter(result)).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ authenticated: true });
  });

  it('accepts a spec file path as the provider, and prints event name and delivery id', async () => {
    const body = readFileSync('schemas/providers/github/examples/push.json', 'utf8');
    const request = {
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': '7b2e9c30-1b2c-11ef-8c1d-3e4f5a6b7c03', 'x-hub-signature-256': 'sha256=eaef66be1726e3e2fb1b87586200a36cf59fa41a0301ed51896c045a8e4f9530' },
      body,
    };
    const result = await run(['verify', '-p', 'schemas/providers/github/provider.yaml', '-s', 'hookgen-example-secret', '-r', requestFile(request)]);
    expect(exitCodeAfter(result)).toBe(0);
    expect(result.stdout).toContain('accepted github push delivery 7b2e9c30-1b2c-11ef-8c1d-3e4f5a6b7c03');
  });

  it('never prints the secret, whatever happens', async () => {
    const secret = 'super-secret-value-123';
    const outputs = await Promise.all([
      run(['verify', '-p', 'github', '-s', secret, '-r', requestFile(githubDocsVector), '--json']),
      run(['verify', '-p', 'standard-webhooks', '-s', secret, '-r', requestFile(standardVector)]),
      run(['verify', '-p', 'nope', '-s', secret, '-r', requestFile(githubDocsVector)]),
    ]);
    process.exitCode = undefined;
    for (const o of outputs) expect(`${o.stdout}${o.stderr}${o.error?.message ?? ''}`).not.toContain(secret);
  });

  it('exits 2 on usage errors: an unknown provider, an unknown setting, a missing file', async () => {
    const unknown = await run(['verify', '-p', 'nope', '-s', 'x', '-r', requestFile(githubDocsVector)]);
    expect(unknown.error?.oclif?.exit).toBe(2);
    expect(unknown.error?.message).toContain('built-in ones are');
    const setting = await run(['verify', '-p', 'github', '-s', 'x', '--config', 'colour=blue', '-r', requestFile(githubDocsVector)]);
    expect(setting.error?.oclif?.exit).toBe(2);
    expect(setting.error?.message).toContain('has no setting `colour`');
    const missing = await run(['verify', '-p', 'github', '-s', 'x', '-r', '/nonexistent/request.json']);
    expect(missing.error?.oclif?.exit).toBe(2);
  });
});

describe('hookgen list, validate, generate', () => {
  it('lists every built-in provider with what --secret and --config bind', async () => {
    const result = await run(['list', '--json']);
    const list = JSON.parse(result.stdout) as Array<{ id: string; secret: { name: string }; config: Array<{ name: string }> }>;
    const specs = readdirSync('schemas/providers').filter((id) => existsSync(`schemas/providers/${id}/provider.yaml`)).sort();
    expect(list.map((p) => p.id)).toEqual(specs);
    expect(specs).toEqual(expect.arrayContaining(['github', 'slack', 'standard-webhooks', 'stripe']));
    expect(list.find((p) => p.id === 'stripe')!.secret.name).toBe('signingSecret');
    expect(list.find((p) => p.id === 'standard-webhooks')!.config.map((c) => c.name)).toEqual(['publicKey']);
  });

  it('validates every built-in spec', async () => {
    for (const id of readdirSync('schemas/providers').filter((d) => existsSync(`schemas/providers/${d}/provider.yaml`))) {
      const result = await run(['validate', `schemas/providers/${id}/provider.yaml`, '--json']);
      expect(exitCodeAfter(result)).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, provider: id });
    }
  });

  it('reports every problem of a broken spec at file:line:col with hints, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookgen-spec-'));
    const file = join(dir, 'provider.yaml');
    writeFileSync(
      file,
      ['id: acme', 'name: Acme', 'credentials:', '  secret: { primary: true }', 'signatures:', '  - name: v1', '    algorithm: hmac-sha256', '    key: { credential: secrt }', '    from: "{header:x-acme-signature"', '    content: "{body}"', 'event:', '  name: "{json:/type}"', ''].join('\n'),
    );
    const result = await run(['validate', file, '--json']);
    expect(exitCodeAfter(result)).toBe(2);
    const { problems } = JSON.parse(result.stdout) as { problems: Array<{ line: number; col: number; message: string; hint?: string }> };
    expect(problems).toEqual([
      expect.objectContaining({ line: 8, col: 24, hint: 'did you mean `secret`?' }),
      expect.objectContaining({ line: 9, col: 11, message: expect.stringContaining('expected "}"') }),
    ]);
    const human = await run(['validate', file]);
    process.exitCode = undefined;
    expect(human.stderr).toContain(`${file}:8:24: scheme \`v1\` uses credential \`secrt\``);
  });

  it('generate --check passes on the committed output and fails (exit 1) when a spec changed', async () => {
    const clean = await run(['generate', '--check']);
    expect(clean.error).toBeUndefined();
    expect(clean.stdout).toContain('up to date');

    // A copy of the Stripe spec with one more event must make its committed module stale.
    const dir = mkdtempSync(join(tmpdir(), 'hookgen-gen-'));
    cpSync('schemas/providers/stripe', join(dir, 'stripe'), { recursive: true });
    const out = join(dir, 'out');
    cpSync('generated/stripe', join(out, 'stripe'), { recursive: true });
    const spec = join(dir, 'stripe', 'provider.yaml');
    const first = await run(['generate', spec, '--out', out, '--runtime-import', '../../runtime/index.js', '--check']);
    expect(first.error?.oclif?.exit).toBe(1);
    const written = await run(['generate', spec, '--out', out, '--runtime-import', '../../runtime/index.js']);
    expect(written.error).toBeUndefined();
    const again = await run(['generate', spec, '--out', out, '--runtime-import', '../../runtime/index.js', '--check']);
    expect(again.error).toBeUndefined();
  });
});

describe('the bin', () => {
  it('runs as a process with --help examples', () => {
    const help = execFileSync(process.execPath, ['bin/run.js', 'verify', '--help'], { encoding: 'utf8' });
    expect(help).toContain('EXAMPLES');
    expect(help).toContain('--provider');
  });
});
