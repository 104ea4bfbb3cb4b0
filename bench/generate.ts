/**
 * Time of `hookgen generate` through the generator API, `generate({ specFiles, outDir, runtimeImport })`.
 *
 *     npx tsc -p tsconfig.build.json && node dist/bench/generate.js
 *
 *   from scratch   every built-in spec into an empty output folder under `.hookgen-tmp/generate/`.
 *   one changed    a copy of one spec (default `stripe`; `--changed=github`) with its notes edited, generated
 *                  alone into the folder the full run filled: what a spec author's edit-and-regenerate costs.
 *
 * Each measurement runs in a fresh child process, as a CLI invocation would (module loading, JIT and the
 * generator's own caches all start cold), `--runs` times (default 3); the median is printed. The whole
 * child (start-up, import of the generator, generate) is timed, and also `generate()` alone. After the
 * last full run, the same process generates each provider alone (warm), to show where the time goes.
 *
 * Options: --runs=N (3)  --changed=<provider id>  --json
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TMP = join(ROOT, '.hookgen-tmp', 'generate');

interface ChildResult {
  /** ms of generate() alone */
  generateMs: number;
  /** ms from process start to the end of generate() */
  processMs: number;
  providers: string[];
  written: number;
  unchanged: number;
  /** Warm, after the full run: each provider generated alone. */
  perProvider: Array<{ provider: string; ms: number; files: number }>;
}

async function child(mode: 'all' | 'one', outDir: string, spec?: string): Promise<void> {
  const { generate, builtInSpecFiles } = await import('../generator/generate.js');
  const specFiles = mode === 'all' ? builtInSpecFiles() : [spec!];
  const started = performance.now();
  const result = await generate({ specFiles, outDir, runtimeImport: 'hookgen' });
  const ended = performance.now();
  // then, warm, each provider alone into a scratch folder: where the time goes
  const perProvider: ChildResult['perProvider'] = [];
  if (mode === 'all') {
    for (const file of specFiles) {
      const scratch = join(dirname(outDir), 'scratch');
      rmSync(scratch, { recursive: true, force: true });
      const t = performance.now();
      const alone = await generate({ specFiles: [file], outDir: scratch, runtimeImport: 'hookgen' });
      perProvider.push({ provider: alone.providers[0]!, ms: performance.now() - t, files: alone.written.length });
    }
  }
  const out: ChildResult = {
    generateMs: ended - started,
    processMs: ended, // performance.now() counts from the start of this process
    providers: result.providers,
    written: result.written.length,
    unchanged: result.unchanged.length,
    perProvider,
  };
  process.stdout.write(JSON.stringify(out));
}

function runChild(args: string[]): ChildResult & { wallMs: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`generate child failed (${result.status}):\n${result.stderr}`);
  return { ...(JSON.parse(result.stdout) as ChildResult), wallMs };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) n += entry.isDirectory() ? countFiles(join(dir, entry.name)) : 1;
  return n;
}

function main(argv: readonly string[]): void {
  const runs = Number(argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);
  const changed = argv.find((a) => a.startsWith('--changed='))?.slice(10) ?? 'stripe';
  const json = argv.includes('--json');
  const specDir = join(ROOT, 'schemas', 'providers', changed);
  if (!existsSync(join(specDir, 'provider.yaml'))) throw new Error(`no built-in provider \`${changed}\``);
  const say = (text: string) => {
    if (!json) console.log(text);
  };
  say(`hookgen bench/generate — node ${process.version}, ${os.cpus().length} CPU(s), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const outDir = join(TMP, 'out');
  const full: Array<ChildResult & { wallMs: number }> = [];
  for (let i = 0; i < runs; i++) {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    full.push(runChild(['all', outDir]));
  }
  const files = countFiles(outDir);

  // one changed spec: a copy of the provider's folder (its schemas and examples beside it), notes edited
  const copy = join(TMP, 'specs', changed);
  rmSync(copy, { recursive: true, force: true });
  cpSync(specDir, copy, { recursive: true });
  const yamlFile = join(copy, 'provider.yaml');
  const one: Array<ChildResult & { wallMs: number }> = [];
  for (let i = 0; i < runs; i++) {
    const yaml = readFileSync(join(specDir, 'provider.yaml'), 'utf8');
    writeFileSync(yamlFile, yaml.replace(/^name: (.*)$/m, `name: $1 (edited ${i})`));
    one.push(runChild(['one', outDir, yamlFile]));
  }

  const last = full[full.length - 1]!;
  const summary = {
    providers: last.providers.length,
    files,
    fromScratch: { wallMs: median(full.map((r) => r.wallMs)), generateMs: median(full.map((r) => r.generateMs)), runs: full.map((r) => Math.round(r.wallMs)) },
    oneChanged: { provider: changed, wallMs: median(one.map((r) => r.wallMs)), generateMs: median(one.map((r) => r.generateMs)), written: one[0]!.written, runs: one.map((r) => Math.round(r.wallMs)) },
    perProvider: last.perProvider.map((p) => ({ provider: p.provider, ms: Math.round(p.ms), files: p.files })),
  };
  if (json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  say(`median of ${runs} cold run(s), each in a fresh process`);
  say('');
  say(`from scratch: ${summary.providers} providers, ${files} files   ${(summary.fromScratch.wallMs / 1000).toFixed(2)} s (generate() ${(summary.fromScratch.generateMs / 1000).toFixed(2)} s)   runs: ${summary.fromScratch.runs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s`);
  say(`one changed spec (${changed}): ${summary.oneChanged.written} file(s) written   ${(summary.oneChanged.wallMs / 1000).toFixed(2)} s (generate() ${(summary.oneChanged.generateMs / 1000).toFixed(2)} s)   runs: ${summary.oneChanged.runs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s`);
  say('');
  say('each provider alone, warm (after the full run, same process): load, validate, bundle schemas, emit types and modules');
  for (const p of [...summary.perProvider].sort((a, b) => b.ms - a.ms)) say(`  ${p.provider.padEnd(26)} ${(p.ms / 1000).toFixed(2).padStart(6)} s   ${p.files} files`);
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1] as 'all' | 'one', argv[2]!, argv[3]);
else main(argv);
