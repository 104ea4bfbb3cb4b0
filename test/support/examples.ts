import { builtInSpecFiles } from '../../generator/generate.js';
import { loadProvider, type ProviderModel } from '../../generator/provider.js';
import type { SpecExample } from '../../generator/normalize.js';
import { exampleReceiverOptions, providerOf } from '../../generator/examples.js';
import { createReceiver } from '../../runtime/index.js';

export { exampleRequest, providerOf } from '../../generator/examples.js';

/** Every built-in provider, loaded through the generator exactly as `hookgen generate` does. */
export const builtInModels: ProviderModel[] = builtInSpecFiles().map(loadProvider);

export function exampleReceiver(model: ProviderModel, example: SpecExample, overrides: { secret?: string; credentials?: Record<string, string>; nowSeconds?: number } = {}) {
  return createReceiver(providerOf(model), { ...exampleReceiverOptions(model, example, overrides), dedup: false });
}
