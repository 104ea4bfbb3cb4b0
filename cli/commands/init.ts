import { Flags } from '@oclif/core';
import { HookgenCommand } from '../shared/command.js';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { CONFIG_FILE, FRAMEWORKS, configPath, defaultConfig, readConfig, writeConfig, type Framework, type ProjectConfig } from '../../generator/project/config.js';
import { projectStep } from '../shared/project.js';
import { interactive, style } from '../shared/style.js';

export interface InitResult {
  config: string;
  /** `created`, `updated` (--force), or `unchanged` (already initialised). */
  status: 'created' | 'updated' | 'unchanged';
  outDir: string;
  framework: Framework;
  runtimeImport: string;
}

export default class Init extends HookgenCommand {
  static override summary = `Set hookgen up in this project: writes ${CONFIG_FILE}.`;
  static override description =
    `Records where provider modules go (--out), the framework the receivers are mounted in, and the module the generated code imports the runtime from ('hookgen'). ` +
    'Asks for them on a terminal; with --yes, or when stdin is not a terminal (CI, scripts), uses the flags and the defaults. Running it again changes nothing (--force rewrites the settings, keeping the providers).';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --yes',
    '<%= config.bin %> init --yes --out app/webhooks --framework express',
    '<%= config.bin %> init --yes --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'Ask nothing; use the flags and the defaults.' }),
    out: Flags.string({ char: 'o', description: 'Folder for provider modules, relative to the project root.', default: 'src/webhooks' }),
    framework: Flags.string({ char: 'f', description: 'Framework the glue files are written for.', options: [...FRAMEWORKS], default: 'node' }),
    force: Flags.boolean({ description: `Rewrite the settings of an existing ${CONFIG_FILE} (its providers are kept).` }),
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(Init);
    const root = process.cwd();
    const exists = existsSync(configPath(root));
    if (exists && !flags.force) {
      const config = await projectStep(this, () => readConfig(root));
      this.log(`${CONFIG_FILE} is already here (out ${config.outDir}, framework ${config.framework}); nothing changed. Next: ${style.bold('hookgen add-provider <id>')}`);
      return result(root, 'unchanged', config);
    }
    let outDir = flags.out;
    let framework = flags.framework as Framework;
    if (!flags.yes && !this.jsonEnabled() && interactive()) ({ outDir, framework } = await ask(outDir, framework));
    const config: ProjectConfig = exists ? { ...(await projectStep(this, () => readConfig(root))), outDir, framework } : defaultConfig({ outDir, framework });
    writeConfig(root, config);
    this.log(`${style.ok(exists ? 'updated' : 'created')} ${CONFIG_FILE}: modules in ${outDir}/, ${framework} glue, runtime from '${config.runtimeImport}'`);
    this.log(`Next: ${style.bold('hookgen add-provider <id>')} (${style.dim('hookgen list shows the built-in ids; a path to a provider.yaml works too')})`);
    return result(root, exists ? 'updated' : 'created', config);
  }
}

function result(root: string, status: InitResult['status'], config: ProjectConfig): InitResult {
  return { config: configPath(root), status, outDir: config.outDir, framework: config.framework, runtimeImport: config.runtimeImport };
}

async function ask(outDir: string, framework: Framework): Promise<{ outDir: string; framework: Framework }> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const out = (await rl.question(`Folder for provider modules (${outDir}): `)).trim() || outDir;
    let chosen: Framework | undefined;
    while (!chosen) {
      const answer = (await rl.question(`Framework, one of ${FRAMEWORKS.join(', ')} (${framework}): `)).trim() || framework;
      if ((FRAMEWORKS as readonly string[]).includes(answer)) chosen = answer as Framework;
    }
    return { outDir: out, framework: chosen };
  } finally {
    rl.close();
  }
}
