import { Args, Flags } from '@oclif/core';
import { HookgenCommand } from '../shared/command.js';
import { relative } from 'node:path';
import { loadProvider } from '../../generator/provider.js';
import { scaffoldProvider, type ScaffoldResult } from '../../generator/project/scaffold.js';
import { projectStep } from '../shared/project.js';
import { style } from '../shared/style.js';

export default class NewProvider extends HookgenCommand {
  static override summary = 'Scaffold a provider spec: provider.yaml, an event schema and a signed example.';
  static override description =
    'Writes <dir>/<id>/provider.yaml (with comments that teach the spec language), events/<event>.schema.json and examples/payloads/<event>.json. ' +
    'The spec validates as written, and its example is signed with an example secret, so `hookgen validate`, `hookgen trigger` and `hookgen add-provider` work on it straight away. ' +
    'Exit 1 when the files exist (--force overwrites them).';
  static override examples = [
    '<%= config.bin %> new-provider acme',
    '<%= config.bin %> new-provider acme --dir specs --event invoice.paid',
    '<%= config.bin %> new-provider acme --json',
  ];
  static override enableJsonFlag = true;
  static override args = { id: Args.string({ required: true, description: 'Provider id: lower case letters, digits and dashes.' }) };
  static override flags = {
    dir: Flags.string({ char: 'd', description: 'Folder to create the provider folder in.', default: '.' }),
    event: Flags.string({ char: 'e', description: 'Name of the first event.', default: 'item.created' }),
    name: Flags.string({ description: 'The provider name as people write it (default: from the id).' }),
    force: Flags.boolean({ description: 'Overwrite existing files.' }),
  };

  async run(): Promise<ScaffoldResult> {
    const { args, flags } = await this.parse(NewProvider);
    const result = await projectStep(this, () => scaffoldProvider({ id: args.id, dir: flags.dir, event: flags.event, force: flags.force, ...(flags.name ? { name: flags.name } : {}) }));
    // The scaffold must pass the same checks as any spec: fail loudly here rather than in the user's hands.
    await projectStep(this, () => loadProvider(result.specFile));
    const shown = (f: string) => relative(process.cwd(), f) || f;
    for (const file of result.files) this.log(`${style.ok('created')} ${shown(file)}`);
    const spec = shown(result.specFile);
    this.log(`The example is signed with the secret \`${result.exampleSecret}\`. Next:`);
    this.log(`  hookgen validate ${spec}`);
    this.log(`  hookgen add-provider ${spec.startsWith('.') ? spec : `./${spec}`}`);
    this.log(`  hookgen trigger ${spec.startsWith('.') ? spec : `./${spec}`} ${result.event} --url http://localhost:3000/webhooks/${result.id} --secret ${result.exampleSecret}`);
    return result;
  }
}
