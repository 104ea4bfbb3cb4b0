import { runCommand } from '@oclif/test';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

/** The repository: commands run from dist/ as users run them (the CI builds first). */
export const repo = resolve(import.meta.dirname, '..', '..');

/** Runs a command with the working directory set to `cwd` (a temp project), as a user would. */
export async function inDir(cwd: string, args: string[]) {
  const before = process.cwd();
  process.exitCode = undefined;
  process.chdir(cwd);
  try {
    const result = await runCommand(args, { root: repo });
    // A thrown this.error() carries its exit code; a result with process.exitCode set carries that one.
    const thrown = (result.error as { oclif?: { exit?: number } } | undefined)?.oclif?.exit;
    const exit = Number(thrown ?? process.exitCode ?? 0);
    return { ...result, exit };
  } finally {
    process.chdir(before);
    process.exitCode = undefined;
  }
}

export const tempProject = (prefix = 'hookgen-project-') => mkdtempSync(join(tmpdir(), prefix));

/** Every file under `dir` with its content and mtime: to prove a second run changed nothing. */
export function snapshot(dir: string): Record<string, { text: string; mtime: number }> {
  const out: Record<string, { text: string; mtime: number }> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = { text: readFileSync(p, 'utf8'), mtime: statSync(p).mtimeMs };
    }
  };
  walk(dir);
  return out;
}
