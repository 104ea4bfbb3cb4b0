import { Command } from '@oclif/core';
import { builtInProviders } from '../../generated/index.js';
import { style } from '../shared/style.js';

export interface ProviderSummary {
  id: string;
  name: string;
  docs?: string;
  /** What `--secret` binds. */
  secret: { name: string; env?: string; description?: string };
  /** What `--config name=value` binds: other credentials and settings. */
  config: Array<{ name: string; kind: 'credential' | 'setting'; required: boolean; description?: string }>;
  schemes: string[];
  events: number;
}

export default class List extends Command {
  static override summary = 'List the built-in providers and the settings each takes.';
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list --json'];
  static override enableJsonFlag = true;

  async run(): Promise<ProviderSummary[]> {
    await this.parse(List);
    const out: ProviderSummary[] = [];
    for (const id of Object.keys(builtInProviders).sort()) {
      const { spec } = await builtInProviders[id]!.load();
      const [primaryName, primary] = Object.entries(spec.credentials).find(([, c]) => c.primary)!;
      out.push({
        id,
        name: spec.name,
        ...(spec.docs ? { docs: spec.docs } : {}),
        secret: { name: primaryName, ...(primary.env ? { env: primary.env } : {}), ...(primary.description ? { description: primary.description } : {}) },
        config: [
          ...Object.entries(spec.credentials)
            .filter(([, c]) => !c.primary)
            .map(([name, c]) => ({ name, kind: 'credential' as const, required: !c.optional, ...(c.description ? { description: c.description } : {}) })),
          ...Object.entries(spec.config).map(([name, c]) => ({ name, kind: 'setting' as const, required: c.required, ...(c.description ? { description: c.description } : {}) })),
        ],
        schemes: spec.signatures.map((s) => `${s.name} (${s.algorithm})`),
        events: spec.events.length,
      });
    }
    for (const p of out) {
      this.log(`${style.bold(p.id.padEnd(18))} ${p.name}: ${p.events} typed events; --secret is ${p.secret.name}${p.secret.env ? ` (${p.secret.env})` : ''}`);
      for (const c of p.config) this.log(style.dim(`${' '.repeat(19)}--config ${c.name}=…  ${c.description ?? ''}`));
    }
    return out;
  }
}
