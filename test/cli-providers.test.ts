import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '@oclif/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtInModels, exampleRequest } from './support/examples.js';

/**
 * `hookgen verify` on every built-in provider: its first accepted example passes (exit 0) and the
 * same request with one body byte changed is rejected (exit 1), through the real command.
 */
beforeEach(() => {
  process.exitCode = undefined;
});

const cases = builtInModels.flatMap((model) => {
  const example = model.examples.find((e) => e.expect.ok && !e.expect.handshake && !e.certificates);
  return example ? [{ model, example }] : [];
});

function requestFile(request: { method?: string; url?: string; headers: Record<string, string | string[]>; body: Uint8Array | string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookgen-cli-p-'));
  const file = join(dir, 'request.json');
  writeFileSync(file, JSON.stringify({ method: request.method, url: request.url, headers: request.headers, bodyBase64: Buffer.from(request.body).toString('base64') }));
  return file;
}

describe('hookgen verify, provider by provider', () => {
  it('covers most providers', () => expect(cases.length).toBeGreaterThanOrEqual(builtInModels.length - 2));

  it.each(cases.map((c) => [c.model.runtime.id, c] as const))('%s', async (_id, { model, example }) => {
    // runCommand joins and re-splits its arguments: a secret with spaces goes through HOOKGEN_SECRET.
    if (example.secret) process.env.HOOKGEN_SECRET = example.secret;
    const flags = [
      ...Object.entries({ ...example.credentials, ...example.config }).flatMap(([k, v]) => ['--config', `${k}=${v}`]),
      ...(example.now ? ['--now', String(example.now)] : []),
    ];
    const request = exampleRequest(model, example);
    const accepted = await runCommand(['verify', '-p', model.runtime.id, '-r', requestFile(request), '--json', ...flags], { root: resolve('.') });
    expect(process.exitCode ?? 0, accepted.stdout + accepted.stderr).toBe(0);
    const output = JSON.parse(accepted.stdout) as { result: string; events: Array<{ event: string }> };
    expect(output.result).toBe('accepted');
    expect(output.events.map((e) => e.event)).toEqual(example.expect.events ?? [example.expect.event]);

    const scheme = model.runtime.signatures.find((s) => s.algorithm !== 'token');
    if (!scheme) return; // a token scheme signs no bytes: a changed body is still genuine
    process.exitCode = undefined;
    const body = Buffer.from(request.body as Uint8Array);
    const at = Math.floor(body.length / 2);
    body[at] = body[at] === 0x41 ? 0x42 : 0x41;
    const rejected = await runCommand(['verify', '-p', model.runtime.id, '-r', requestFile({ ...request, body }), '--json', ...flags], { root: resolve('.') });
    expect(process.exitCode).toBe(1);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ result: 'refused', authenticated: false, reason: 'signature_mismatch' });
  });

  afterEach(() => {
    delete process.env.HOOKGEN_SECRET;
  });
});
