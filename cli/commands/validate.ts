import { Args, Command } from '@oclif/core';
import { resolve } from 'node:path';
import { loadProvider } from '../../generator/provider.js';
import { SpecError, formatDiagnostic } from '../../generator/diagnostics.js';
import { style } from '../shared/style.js';

export interface ValidateResult {
  valid: boolean;
  file: string;
  provider?: string;
  events?: number;
  examples?: number;
  problems: Array<{ file: string; line: number; col: number; message: string; hint?: string }>;
}

export default class Validate extends Command {
  static override summary = 'Check a provider spec: its JSON Schema, its templates, the files it names.';
  static override description = 'Every problem is printed as file:line:col with what was expected and a hint. Exit 0 when the spec is valid, 2 when it is not.';
  static override examples = ['<%= config.bin %> validate schemas/providers/github/provider.yaml', '<%= config.bin %> validate ./acme.yaml --json'];
  static override enableJsonFlag = true;
  static override args = { spec: Args.string({ required: true, description: 'Path to a provider.yaml' }) };

  async run(): Promise<ValidateResult> {
    const { args } = await this.parse(Validate);
    const file = resolve(args.spec);
    try {
      const model = loadProvider(file);
      const result = { valid: true, file, provider: model.runtime.id, events: model.runtime.events.length, examples: model.examples.length, problems: [] };
      this.log(`${style.ok('valid')}: ${args.spec} (${result.provider}, ${result.events} typed events, ${result.examples} examples)`);
      return result;
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      const problems = error.diagnostics.map((d) => ({ file: d.position.file, line: d.position.line, col: d.position.col, message: d.message, ...(d.hint ? { hint: d.hint } : {}) }));
      for (const d of error.diagnostics) this.logToStderr(formatDiagnostic(d));
      this.logToStderr(`${problems.length} problem(s) in ${args.spec}`);
      process.exitCode = 2;
      return { valid: false, file, problems };
    }
  }
}
