import { builtInSpecFiles } from '../../generator/generate.js';
import { loadProvider, type ProviderModel } from '../../generator/provider.js';
import type { SpecExample } from '../../generator/normalize.js';
import { exampleReceiverOptions, providerOf } from '../../generator/examples.js';
import { createReceiver } from '../../runtime/index.js';
import { parseTemplate, templateSources } from '../../runtime/template/parse.js';

export { exampleRequest, providerOf } from '../../generator/examples.js';

/** Every built-in provider, loaded through the generator exactly as `hookgen generate` does. */
export const builtInModels: ProviderModel[] = builtInSpecFiles().map(loadProvider);

export function exampleReceiver(model: ProviderModel, example: SpecExample, overrides: { secret?: string; credentials?: Record<string, string>; nowSeconds?: number } = {}) {
  return createReceiver(providerOf(model), { ...exampleReceiverOptions(model, example, overrides), dedup: false });
}

/** The names a template reads from one source (`header`, `query`), parsed rather than pattern-matched. */
export function sourceNames(template: string | undefined, source: 'header' | 'query'): string[] {
  return template === undefined ? [] : templateSources(parseTemplate(template)).filter((s) => s.source === source).map((s) => s.arg);
}

/** The example's URL without the query parameters a scheme reads (signRequest writes them again). */
export function stripQuery(url: string | undefined, templates: Array<string | undefined>): string | undefined {
  if (url === undefined || !url.includes('?')) return url;
  const parsed = new URL(url, 'http://placeholder');
  for (const name of templates.flatMap((t) => sourceNames(t, 'query'))) parsed.searchParams.delete(name);
  return parsed.pathname + parsed.search;
}
