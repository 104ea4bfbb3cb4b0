import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

let bundled: string | undefined;

/**
 * Child processes run plain JavaScript, so the worker script is bundled once with rolldown (already
 * installed as vite's bundler); drivers stay external and load from node_modules.
 */
export async function workerScript(): Promise<string> {
  if (bundled) return bundled;
  const { build } = await import('rolldown');
  // Inside the project, so the external drivers resolve from its node_modules.
  const dir = fileURLToPath(new URL('../../../node_modules/.cache/hookgen-send-worker/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `worker-${process.pid}.mjs`);
  process.once('exit', () => rmSync(file, { force: true }));
  await build({
    input: fileURLToPath(new URL('./worker-process.ts', import.meta.url)),
    platform: 'node',
    // Packages stay external; the runtime's own `#crypto` import is bundled, as Node would resolve it.
    external: [/^[^./#]/],
    resolve: { alias: { '#crypto': fileURLToPath(new URL('../../../runtime/crypto/node.ts', import.meta.url)) } },
    output: { file, format: 'esm' },
    logLevel: 'silent',
  });
  bundled = file;
  return file;
}

/** Starts a worker process and resolves once it says it is ready. */
export async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const script = await workerScript();
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    cwd: fileURLToPath(new URL('../../..', import.meta.url)), // resolves node_modules from the project
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  return child;
}

export function waitForExit(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}
