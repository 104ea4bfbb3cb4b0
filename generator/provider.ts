import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RuntimeSpec } from '../runtime/spec/types.js';
import { SpecError, type Diagnostic } from './diagnostics.js';
import { loadYaml } from './load.js';
import { checkSemantics, readNames, toRuntimeSpec, type AuthoredEvent, type AuthoredSpec, type SpecExample } from './normalize.js';
import { bundleSchemaFiles, type SchemaBundle } from './schemas/bundle.js';
import { validateAgainstSchema } from './validate.js';
import { importOctokitOpenApiWebhooks } from './importers/octokit-openapi-webhooks.js';

/** Everything the generator knows about one provider after its spec passed every check. */
export interface ProviderModel {
  specFile: string;
  dir: string;
  authored: AuthoredSpec;
  runtime: RuntimeSpec;
  bundle: SchemaBundle;
  examples: SpecExample[];
  /** Example payload files by event key, for `trigger` and tests. */
  payloadExamples: Record<string, string>;
}

const IMPORTERS: Record<string, (target?: string) => SchemaBundle> = {
  '@octokit/openapi-webhooks': importOctokitOpenApiWebhooks,
};

/** Loads, validates and normalises a spec; throws SpecError listing every problem found. */
export function loadProvider(specFile: string): ProviderModel {
  const loaded = loadYaml(specFile);
  if (loaded.syntaxErrors.length) throw new SpecError(loaded.syntaxErrors);
  const schemaProblems = validateAgainstSchema(loaded);
  if (schemaProblems.length) throw new SpecError(schemaProblems);
  const authored = loaded.data as AuthoredSpec;
  const diagnostics: Diagnostic[] = checkSemantics(authored, loaded);
  if (diagnostics.length) throw new SpecError(diagnostics);

  const dir = dirname(specFile);
  let bundle: SchemaBundle;
  const declared = authored.events ?? {};
  if ('import' in declared) {
    const from = (declared as { import: { from: string; target?: string } }).import;
    bundle = IMPORTERS[from.from]!(from.target);
  } else {
    const events = Object.entries(declared as Record<string, AuthoredEvent>).map(([key, e]) => ({
      key,
      schema: e.schema,
      description: e.description,
      pointer: `/events/${key}`,
    }));
    const listed = new Set(events.map((e) => e.key));
    for (const name of authored.names ? readNames(join(dir, authored.names)) : []) {
      if (!listed.has(name)) events.push({ key: name, schema: undefined, description: undefined, pointer: '/names' }), listed.add(name);
    }
    bundle = bundleSchemaFiles(loaded, events, authored.payload, diagnostics);
    if (diagnostics.length) throw new SpecError(diagnostics);
  }

  const payloadExamples: Record<string, string> = {};
  for (const key of Object.keys(bundle.events)) {
    const explicit = !('import' in declared) ? (declared as Record<string, AuthoredEvent>)[key]?.example : undefined;
    const file = join(dir, explicit ?? `examples/payloads/${key}.json`);
    if (existsSync(file)) payloadExamples[key] = file;
  }
  const runtime = toRuntimeSpec(authored, Object.keys(bundle.events).sort());
  return { specFile, dir, authored, runtime, bundle, examples: authored.examples ?? [], payloadExamples };
}
