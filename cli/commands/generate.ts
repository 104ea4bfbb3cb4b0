import { Command, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { generate, generateBuiltIns, type GenerateResult } from '../../generator/generate.js';
import { SpecError } from '../../generator/diagnostics.js';

export default class Generate extends Command {
  static override summary = 'Generate typed provider modules from YAML specs.';
  static override description =
    'Without arguments, regenerates generated/ for every built-in provider. With spec files, writes their modules into --out. ' +
    'With --check, writes nothing and exits 1 when the output is not what the specs generate.';
  static override examples = [
    '<%= config.bin %> generate',
    '<%= config.bin %> generate --check',
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
}
