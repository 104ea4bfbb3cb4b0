import { Args, Flags } from '@oclif/core';
import { HookgenCommand } from '../shared/command.js';
import { CONFIG_FILE, FRAMEWORKS, readConfig, type Framework } from '../../generator/project/config.js';
import { syncProvider, type SyncResult } from '../../generator/project/sync.js';
import { projectStep } from '../shared/project.js';
import { style } from '../shared/style.js';

export default class AddProvider extends HookgenCommand {
  static override summary = "Write a provider's typed module into this project and register it.";
  static override description =
    `Writes <outDir>/<id>/{events,spec,index}.ts (hookgen's files: their hashes are recorded in ${CONFIG_FILE}), ` +
    'scaffolds the framework glue once (<outDir>/<id>/server.ts, route.ts, …: yours afterwards), and adds an export line to <outDir>/index.ts without touching the rest of it. ' +
    'A built-in id copies the module the package ships; a path to a provider.yaml runs the generator on it, the way a contributor develops a provider. ' +
    'Running it again changes nothing. When you edited a generated file, it writes nothing and exits 1: see the difference with `hookgen diff <id>`, or overwrite with --force. ' +
    'Exit 2: no config (run `hookgen init`), an unknown provider, or a spec with errors.';
  static override examples = [
    '<%= config.bin %> add-provider trello',
    '<%= config.bin %> add-provider github --framework express',
    '<%= config.bin %> add-provider ./specs/acme/provider.yaml',
    '<%= config.bin %> add-provider stripe --force --json',
  ];
  static override enableJsonFlag = true;
  static override args = { provider: Args.string({ required: true, description: 'A built-in provider id (`hookgen list`), or a path to a provider.yaml.' }) };
  static override flags = {
    framework: Flags.string({ char: 'f', description: `Framework of the glue file (default: the one in ${CONFIG_FILE}).`, options: [...FRAMEWORKS] }),
    force: Flags.boolean({ description: 'Overwrite generated files you edited (the glue file is never overwritten).' }),
  };

  async run(): Promise<SyncResult> {
    const { args, flags } = await this.parse(AddProvider);
    const root = process.cwd();
    const config = await projectStep(this, () => readConfig(root));
    const result = await projectStep(this, () =>
      syncProvider(root, config, args.provider, { scaffold: true, force: flags.force, ...(flags.framework ? { framework: flags.framework as Framework } : {}) }),
    );
    if (result.conflicts.length) {
      for (const c of result.conflicts) {
        this.logToStderr(`${style.bad('changed')} ${c.file}: ${c.reason === 'edited' ? 'edited since hookgen wrote it' : 'a file hookgen did not write is in the way'}`);
      }
      this.logToStderr(`Nothing was written. See the difference: hookgen diff ${result.provider}. Overwrite your changes: hookgen add-provider ${result.source} --force`);
      process.exitCode = 1;
      return result;
    }
    for (const file of result.written) this.log(`${style.ok('wrote')}     ${file}`);
    for (const file of result.scaffolded) this.log(`${style.ok('scaffold')}  ${file} ${style.dim('(yours: hookgen will not overwrite it)')}`);
    if (result.index === 'added') this.log(`${style.ok('export')}    ${config.outDir}/index.ts ${style.dim(`(+ ${result.provider})`)}`);
    const nothing = !result.written.length && !result.scaffolded.length && result.index !== 'added';
    this.log(nothing ? `${result.provider} is up to date: nothing changed` : `${style.bold(result.provider)} added (${result.framework}); import it from './${config.outDir}/index.js'`);
    return result;
  }
}
