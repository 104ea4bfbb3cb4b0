import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInSpecFiles } from '../../generator/generate.js';
import { loadProvider, type ProviderModel } from '../../generator/provider.js';
import type { SpecExample } from '../../generator/normalize.js';
import { createReceiver, type Provider, type WebhookRequest } from '../../runtime/index.js';

/** Every built-in provider, loaded through the generator exactly as `hookgen generate` does. */
export const builtInModels: ProviderModel[] = builtInSpecFiles().map(loadProvider);

export function providerOf(model: ProviderModel): Provider<object, unknown> {
  return { id: model.runtime.id, spec: model.runtime };
}

export function exampleRequest(model: ProviderModel, example: SpecExample): WebhookRequest & { headers: Record<string, string | string[]> } {
  const body = example.request.bodyFile ? readFileSync(join(model.dir, example.request.bodyFile)) : Buffer.from(example.request.body ?? '', 'utf8');
  return { method: example.request.method ?? 'POST', url: example.request.url ?? '/webhooks', headers: { ...example.request.headers }, body };
}

export function exampleReceiver(model: ProviderModel, example: SpecExample, overrides: { secret?: string; credentials?: Record<string, string>; nowSeconds?: number } = {}) {
  const now = overrides.nowSeconds ?? example.now;
  return createReceiver(providerOf(model), {
    secret: overrides.secret ?? example.secret,
    credentials: overrides.credentials ?? example.credentials,
    config: example.config,
    now: now === undefined ? undefined : () => now * 1000,
    dedup: false,
    ...(example.certificates || example.trust ? { certificates: exampleCertificates(model, example) } : {}),
  });
}

/** Certificates an example names, served from files beside the spec instead of the network. */
function exampleCertificates(model: ProviderModel, example: SpecExample) {
  const files = example.certificates ?? {};
  return {
    trustedCertificates: (example.trust ?? []).map((file) => readFileSync(join(model.dir, file), 'utf8')),
    fetch: async (url: string) => {
      const file = files[url];
      return file === undefined
        ? { ok: false, status: 404, text: async () => '' }
        : { ok: true, status: 200, text: async () => readFileSync(join(model.dir, file), 'utf8') };
    },
  };
}
