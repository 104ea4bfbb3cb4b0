import { Args } from '@oclif/core';
import { HookgenCommand } from '../shared/command.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, readConfig } from '../../generator/project/config.js';
import { renderProvider } from '../../generator/project/render.js';
import { unifiedDiff } from '../../generator/project/diff.js';
import { projectStep } from '../shared/project.js';
import { colours, style } from '../shared/style.js';

export interface DiffResult {
  provider: string;
  files: Array<{ file: string; status: 'same' | 'changed' | 'missing'; diff: string }>;
}

export default class Diff extends HookgenCommand {
  static override summary = "Show how a provider's files in this project differ from what hookgen generates.";
  static override description =
    "Re-renders the provider's module for this project and prints a unified diff per file: `-` lines are hookgen's, `+` lines are yours. " +
    'Exit 0: no difference. Exit 1: some file differs or is missing (as diff(1)). Exit 2: the provider is not in the project.';
  static override examples = ['<%= config.bin %> diff trello', '<%= config.bin %> diff acme --json'];
  static override enableJsonFlag = true;
  static override args = { provider: Args.string({ required: true, description: `A provider id recorded in ${CONFIG_FILE}.` }) };

  async run(): Promise<DiffResult> {
    const { args } = await this.parse(Diff);
    const root = process.cwd();
    const config = await projectStep(this, () => readConfig(root));
    const entry = config.providers[args.provider];
    if (!entry) this.error(`\`${args.provider}\` is not in ${CONFIG_FILE} (it has ${Object.keys(config.providers).join(', ') || 'no providers'}); add it with \`hookgen add-provider ${args.provider}\``, { exit: 2 });
    const rendered = await projectStep(this, () => renderProvider(root, config, entry.source));
    const result: DiffResult = { provider: args.provider, files: [] };
    for (const [file, text] of Object.entries(rendered.files)) {
      const path = join(root, file);
      if (!existsSync(path)) {
        result.files.push({ file, status: 'missing', diff: unifiedDiff(text, '', `hookgen/${file}`, '/dev/null') });
        continue;
      }
      const diff = unifiedDiff(text, readFileSync(path, 'utf8'), `hookgen/${file}`, file);
      result.files.push({ file, status: diff ? 'changed' : 'same', diff });
    }
    for (const f of result.files) {
      if (f.status === 'same') continue;
      for (const line of f.diff.trimEnd().split('\n')) this.log(colours ? paint(line) : line);
    }
    const changed = result.files.filter((f) => f.status !== 'same');
    if (changed.length) process.exitCode = 1;
    this.logToStderr(changed.length ? `${changed.length} of ${result.files.length} file(s) differ; \`hookgen add-provider ${entry.source} --force\` restores hookgen's` : `${args.provider}: no difference`);
    return result;
  }
}

function paint(line: string): string {
  if (line.startsWith('@@')) return style.dim(line);
  if (line.startsWith('+')) return style.ok(line);
  if (line.startsWith('-')) return style.bad(line);
  return line;
}
