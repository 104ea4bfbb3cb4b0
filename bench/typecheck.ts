/**
 * What a typed GitHub handler costs the type checker, against `@octokit/webhooks` and an empty file.
 *
 *     npx tsc -p tsconfig.build.json && node dist/bench/typecheck.js
 *
 * Writes small projects under `.hookgen-tmp/typecheck/` (git-ignored), each one file and a tsconfig
 * (strict, NodeNext, the same options for all), and times `tsc --noEmit -p` on each with the
 * project's own TypeScript (node_modules/typescript), `--runs` times (default 3), reporting the median:
 *
 *   empty            `export {}`: the floor (node start-up, lib.d.ts, @types/node).
 *   hookgen          `createReceiver(github, { secret }).on('issues.opened', (e) => e.payload.issue.number)`,
 *                    importing `hookgen` and `hookgen/providers/github` as a user does: through the
 *                    package's exports, so the declarations in dist/ (build first).
 *   octokit          `new Webhooks({ secret }).on('issues.opened', ({ payload }) => payload.issue.number)`.
 *   hookgen-source   the hookgen file importing runtime/ and generated/github/ as TypeScript source (what
 *                    this repository's own type check pays; with skipLibCheck the package user does not).
 *
 * Printed: wall seconds (median), tsc's own check time and memory (from --extendedDiagnostics), the ratio
 * to octokit (goal: hookgen no more than octokit), and whether any output mentions TS2590 ("Expression
 * produces a union type that is too complex to represent"). A file that does not type-check fails the run.
 *
 * Options: --runs=N (3)  --no-skip-lib-check (check the declaration files too)  --json
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TMP = join(ROOT, '.hookgen-tmp', 'typecheck');
const TSC = join(ROOT, 'node_modules', 'typescript', 'lib', 'tsc.js');

interface Options {
  runs: number;
  skipLibCheck: boolean;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const runs = Number(argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  return { runs, skipLibCheck: !argv.includes('--no-skip-lib-check'), json: argv.includes('--json') };
}

const FILES: Record<string, string> = {
  empty: 'export {};\n',
  hookgen: `import { createReceiver } from 'hookgen';
import { github } from 'hookgen/providers/github';

export const receiver = createReceiver(github, { secret: 'typecheck-secret' }).on('issues.opened', (e) => {
  const n: number = e.payload.issue.number;
  return n;
});
`,
  octokit: `import { Webhooks } from '@octokit/webhooks';

export const webhooks = new Webhooks({ secret: 'typecheck-secret' });
webhooks.on('issues.opened', ({ payload }) => {
  const n: number = payload.issue.number;
  return n;
});
`,
  'hookgen-source': `import { createReceiver } from '../../../runtime/index.js';
import { github } from '../../../generated/github/index.js';

export const receiver = createReceiver(github, { secret: 'typecheck-secret' }).on('issues.opened', (e) => {
  const n: number = e.payload.issue.number;
  return n;
});
`,
};

function write(name: string, options: Options): string {
  const dir = join(TMP, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.ts'), FILES[name]!);
  const compilerOptions = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: options.skipLibCheck,
    noEmit: true,
    types: ['node'],
    // no incremental state: every run starts cold, as a fresh CI checkout does
    incremental: false,
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts'] }, null, 2));
  return dir;
}

interface Run {
  wall: number;
  check: number | undefined;
  total: number | undefined;
  memoryKb: number | undefined;
  types: number | undefined;
  output: string;
  status: number | null;
}

function run(dir: string): Run {
  const started = performance.now();
  const result = spawnSync(process.execPath, [TSC, '--noEmit', '-p', join(dir, 'tsconfig.json'), '--extendedDiagnostics', '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8' });
  const wall = (performance.now() - started) / 1000;
  const output = `${result.stdout}${result.stderr}`;
  const number = (label: string) => {
    const match = new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(output);
    return match ? Number(match[1]) : undefined;
  };
  return { wall, check: number('Check time'), total: number('Total time'), memoryKb: number('Memory used'), types: number('Types'), output, status: result.status };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function main(options: Options): void {
  if (!existsSync(join(ROOT, 'dist', 'generated', 'github', 'index.d.ts'))) {
    throw new Error('dist/ has no generated GitHub declarations: run `npx tsc -p tsconfig.build.json` first');
  }
  const say = (text: string) => {
    if (!options.json) console.log(text);
  };
  say(`hookgen bench/typecheck — TypeScript ${readVersion()}, node ${process.version}, ${os.cpus().length} CPU(s), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  say(`tsc --noEmit, strict, NodeNext, skipLibCheck ${options.skipLibCheck}; median of ${options.runs} cold run(s)`);
  const names = Object.keys(FILES);
  const dirs = Object.fromEntries(names.map((name) => [name, write(name, options)]));
  const runs = new Map<string, Run[]>(names.map((n) => [n, []]));
  // alternate the files run by run, so drift on a shared machine spreads over all of them
  for (let i = 0; i < options.runs; i++) for (const name of names) runs.get(name)!.push(run(dirs[name]!));

  const rows = names.map((name) => {
    const list = runs.get(name)!;
    const failed = list.find((r) => r.status !== 0);
    const ts2590 = list.some((r) => /TS2590/.test(r.output));
    return {
      name,
      wall: median(list.map((r) => r.wall)),
      check: median(list.map((r) => r.check ?? NaN)),
      total: median(list.map((r) => r.total ?? NaN)),
      memoryMb: median(list.map((r) => (r.memoryKb ?? NaN) / 1024)),
      types: list[0]!.types,
      ts2590,
      errors: failed ? failed.output.split('\n').filter((l) => /error TS\d+/.test(l)) : [],
    };
  });
  const by = Object.fromEntries(rows.map((r) => [r.name, r]));
  const ratio = (a: string, b: string, field: 'wall' | 'check' | 'total') => by[a]![field] / by[b]![field];
  const ratios = {
    'hookgen/octokit wall': ratio('hookgen', 'octokit', 'wall'),
    'hookgen/octokit check': ratio('hookgen', 'octokit', 'check'),
    'hookgen/empty wall': ratio('hookgen', 'empty', 'wall'),
    'octokit/empty wall': ratio('octokit', 'empty', 'wall'),
    'hookgen-source/octokit wall': ratio('hookgen-source', 'octokit', 'wall'),
    // what each adds over the empty file
    'hookgen/octokit added wall': (by.hookgen!.wall - by.empty!.wall) / (by.octokit!.wall - by.empty!.wall),
  };
  const anyTs2590 = rows.some((r) => r.ts2590);
  const failures = rows.filter((r) => r.errors.length);

  if (options.json) {
    console.log(JSON.stringify({ typescript: readVersion(), skipLibCheck: options.skipLibCheck, rows, ratios, ts2590: anyTs2590 }, null, 2));
  } else {
    say('');
    say(`${'file'.padEnd(16)} ${'wall s'.padStart(7)} ${'check s'.padStart(8)} ${'total s'.padStart(8)} ${'memory MB'.padStart(10)} ${'types'.padStart(8)}`);
    for (const r of rows) {
      say(`${r.name.padEnd(16)} ${r.wall.toFixed(2).padStart(7)} ${r.check.toFixed(2).padStart(8)} ${r.total.toFixed(2).padStart(8)} ${r.memoryMb.toFixed(0).padStart(10)} ${String(r.types ?? '?').padStart(8)}${r.ts2590 ? '  TS2590!' : ''}`);
    }
    say('');
    for (const [label, value] of Object.entries(ratios)) say(`${label.padEnd(28)} ${value.toFixed(2)}`);
    const goal = ratios['hookgen/octokit wall'] <= 1 ? 'met' : 'NOT met';
    say(`goal (hookgen no more than @octokit/webhooks, wall): ${goal}`);
    say(`TS2590 in any output: ${anyTs2590 ? 'YES' : 'no'}`);
  }
  if (failures.length) {
    for (const f of failures) console.error(`${f.name} does not type-check:\n  ${f.errors.join('\n  ')}`);
    process.exitCode = 1;
  }
  if (anyTs2590) process.exitCode = 1;
}

function readVersion(): string {
  const result = spawnSync(process.execPath, [TSC, '--version'], { encoding: 'utf8' });
  return result.stdout.trim().replace(/^Version /, '');
}

main(parseOptions(process.argv.slice(2)));
