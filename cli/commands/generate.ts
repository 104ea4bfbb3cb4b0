import { Flags } from '@oclif/core';
import { HookgenCommand } from '../shared/command.js';
import { resolve } from 'node:path';
import { generate, generateBuiltIns, type GenerateResult } from '../../generator/generate.js';
import { SpecError } from '../../generator/diagnostics.js';
import { CONFIG_FILE, hasConfig, readConfig } from '../../generator/project/config.js';
import { syncProvider } from '../../generator/project/sync.js';
import { projectStep } from '../shared/project.js';

export default class Generate extends HookgenCommand {
  static override summary = 'Generate typed provider modules from YAML specs.';
  static override description =
    `Without arguments, in a project with ${CONFIG_FILE}: regenerates every provider the config lists into its outDir (built-in and local specs; ` +
    'a generated file you edited is not overwritten: exit 1, see `hookgen diff <id>`). Without arguments elsewhere, regenerates generated/ for every built-in provider. ' +
    'With spec files, writes their modules into --out. ' +
    'With --check, writes nothing and exits 1 when the output is not what the specs generate.';
  static override examples = [
    '<%= config.bin %> generate',
    '<%= config.bin %> generate --check',
    `<%= config.bin %> generate   # in a project with ${CONFIG_FILE}: every provider it lists`,
    '<%= config.bin %> generate ./specs/acme/provider.yaml --out src/webhooks --runtime-import hookgen',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {};
  static override flags = {
    check: Flags.boolean({ description: 'Exit 1 if generated files are stale or missing; write nothing.' }),
    out: Flags.string({ description: 'Output folder for spec files given as arguments.', default: 'generated' }),
    'runtime-import': Flags.string({ description: 'Module the generated code imports the runtime from.', default: 'hookgen' }),
  };

  async run(): Promise<GenerateResult> {
    const { argv, flags } = await this.parse(Generate);
    const specFiles = (argv as string[]).map((f) => resolve(f));
    if (!specFiles.length && hasConfig(process.cwd())) return this.project(flags.check);
    let result: GenerateResult;
    try {
      const progress = (m: string) => this.logToStderr(`  ${m}`);
      result = specFiles.length
        ? await generate({ specFiles, outDir: resolve(flags.out), runtimeImport: flags['runtime-import'], check: flags.check, root: process.cwd(), onProgress: progress })
        : await generateBuiltIns(flags.check, progress);
    } catch (error) {
      if (error instanceof SpecError) this.error(error.message, { exit: 2 });
      throw error;
    }
    if (flags.check) {
      if (result.stale.length) {
        this.logToStderr(`stale: ${result.stale.join(', ')}`);
        this.error(`${result.stale.length} generated file(s) are out of date: run \`hookgen generate\` and commit the result`, { exit: 1 });
      }
      this.log(`${result.unchanged.length} generated files are up to date (${result.providers.join(', ')})`);
    } else {
      this.log(`${result.providers.length} provider(s): ${result.written.length} file(s) written, ${result.unchanged.length} unchanged`);
    }
    return result;
  }

  /** In a user's project: every provider of hookgen.config.json, into its outDir. */
  private async project(check: boolean): Promise<GenerateResult & { conflicts: string[] }> {
    const root = process.cwd();
    const config = await projectStep(this, () => readConfig(root));
    const result = { providers: [] as string[], written: [] as string[], unchanged: [] as string[], stale: [] as string[], conflicts: [] as string[] };
    for (const [id, entry] of Object.entries(config.providers)) {
      const synced = await projectStep(this, () => syncProvider(root, config, entry.source, { check }));
      result.providers.push(id);
      result.unchanged.push(...synced.unchanged);
      result.conflicts.push(...synced.conflicts.map((c) => c.file));
      if (check) result.stale.push(...synced.written);
      else result.written.push(...synced.written);
    }
    if (result.conflicts.length) {
      this.logToStderr(`edited since hookgen wrote them (not overwritten): ${result.conflicts.join(', ')}`);
      this.logToStderr('See the difference with `hookgen diff <id>`; `hookgen add-provider <id> --force` overwrites it.');
      process.exitCode = 1;
    }
    if (check) {
      if (result.stale.length) {
        this.logToStderr(`stale: ${result.stale.join(', ')}`);
        this.error(`${result.stale.length} generated file(s) are out of date: run \`hookgen generate\``, { exit: 1 });
      }
      this.log(`${result.unchanged.length} generated files are up to date (${result.providers.join(', ') || 'no providers'})${result.conflicts.length ? `; ${result.conflicts.length} edited` : ''}`);
    } else {
      this.log(`${result.providers.length} provider(s) of ${CONFIG_FILE}: ${result.written.length} file(s) written, ${result.unchanged.length} unchanged`);
    }
    return result;
  }
}
