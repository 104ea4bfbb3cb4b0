import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Provider } from '../../runtime/index.js';
import { builtInProviders } from '../../generated/index.js';
import { loadProvider } from '../../generator/provider.js';

/**
 * A provider named on the command line: a built-in id (`github`), or a path to a spec file — the way
 * a contributor tries a provider before proposing it. A spec file is validated and used as it is.
 */
export async function resolveProvider(nameOrPath: string): Promise<Provider<object, unknown>> {
  const builtIn = builtInProviders[nameOrPath];
  if (builtIn) return builtIn.load();
  if (/\.ya?ml$/i.test(nameOrPath) || existsSync(nameOrPath)) {
    const model = loadProvider(resolve(nameOrPath));
    return { id: model.runtime.id, spec: model.runtime };
  }
  throw new ProviderNotFoundError(nameOrPath);
}

export class ProviderNotFoundError extends Error {
  constructor(name: string) {
    super(`no provider \`${name}\`: built-in ones are ${Object.keys(builtInProviders).join(', ')}; or give a path to a provider.yaml`);
  }
}

/** `--config name=value` flags: non-primary credentials and settings, by the names `hookgen list` shows. */
export function splitConfig(provider: Provider<object, unknown>, pairs: string[]): { credentials: Record<string, string>; config: Record<string, string> } {
  const credentials: Record<string, string> = {};
  const config: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--config takes name=value; got \`${pair.split('=')[0]}\``);
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (name in provider.spec.credentials) credentials[name] = value;
    else if (name in provider.spec.config) config[name] = value;
    else {
      const known = [...Object.keys(provider.spec.credentials), ...Object.keys(provider.spec.config)];
      throw new Error(`${provider.spec.name} has no setting \`${name}\`; it has ${known.join(', ')}`);
    }
  }
  return { credentials, config };
}
