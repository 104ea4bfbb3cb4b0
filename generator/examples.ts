import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Provider, ReceiverOptions, WebhookRequest } from '../runtime/index.js';
import type { SpecExample } from './normalize.js';
import type { ProviderModel } from './provider.js';

/**
 * A spec's examples as requests and receiver settings: what the tests, the demo and the CLI replay.
 * One place reads an example's body file, its secrets, its clock and the certificates it serves.
 */
export function providerOf(model: ProviderModel): Provider<object, unknown> {
  return { id: model.runtime.id, spec: model.runtime };
}

export function exampleBody(model: ProviderModel, example: SpecExample): Buffer {
  return example.request.bodyFile ? readFileSync(join(model.dir, example.request.bodyFile)) : Buffer.from(example.request.body ?? '', 'utf8');
}

export function exampleRequest(model: ProviderModel, example: SpecExample): WebhookRequest & { headers: Record<string, string | string[]> } {
  return { method: example.request.method ?? 'POST', url: example.request.url ?? '/webhooks', headers: { ...example.request.headers }, body: exampleBody(model, example) };
}

/** The receiver options an example was signed for: its credentials, settings, time and certificates. */
export function exampleReceiverOptions(
  model: ProviderModel,
  example: SpecExample,
  overrides: { secret?: string; credentials?: Record<string, string>; nowSeconds?: number } = {},
): ReceiverOptions {
  const now = overrides.nowSeconds ?? example.now;
  return {
    secret: overrides.secret ?? example.secret,
    credentials: overrides.credentials ?? example.credentials,
    config: example.config,
    now: now === undefined ? undefined : () => now * 1000,
    ...(example.certificates || example.trust ? { certificates: exampleCertificates(model, example) } : {}),
  };
}

/** Certificates an example names, served from files beside the spec instead of the network. */
function exampleCertificates(model: ProviderModel, example: SpecExample) {
  const read = (file: string) => readFileSync(join(model.dir, file), 'utf8');
  return {
    trustedCertificates: (example.trust ?? []).map(read),
    fetch: async (url: string) => {
      const file = example.certificates?.[url];
      return file === undefined ? { ok: false, status: 404, text: async () => '' } : { ok: true, status: 200, text: async () => read(file) };
    },
  };
}
