import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { emitProviderDoc, emitProviderModule, emitRegistry } from './emit/modules.js';
import { loadProvider, type ProviderModel } from './provider.js';
import { BUILT_IN_PROVIDERS_DIR, GENERATED_DIR, PACKAGE_ROOT } from './paths.js';

export interface GenerateOptions {
  specFiles: string[];
  outDir: string;
  runtimeImport: string;
  /** Compare instead of writing: report what is stale. */
  check?: boolean;
  /** Also write `index.ts`, the registry of the providers generated, importing the runtime from here. */
  registryRuntimeImport?: string;
  /** Also write each provider's reference page here (docs/providers). */
  docsDir?: string;
  root?: string;
  onProgress?: (message: string) => void;
}

export interface GenerateResult {
  providers: string[];
  written: string[];
  unchanged: string[];
  /** With `check`: files that differ from what would be generated, or are missing. */
  stale: string[];
}

/** Generates provider modules; deterministic, so `check` can tell whether the output is in sync. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const root = options.root ?? PACKAGE_ROOT;
  const result: GenerateResult = { providers: [], written: [], unchanged: [], stale: [] };
  const models: ProviderModel[] = [];
  const files = new Map<string, string>();
  for (const specFile of options.specFiles) {
    const model = loadProvider(specFile);
    options.onProgress?.(`${model.runtime.id}: ${Object.keys(model.bundle.events).length} event types`);
    models.push(model);
    result.providers.push(model.runtime.id);
    const module = await emitProviderModule(model, { runtimeImport: options.runtimeImport, root });
    for (const [name, text] of Object.entries(module)) files.set(join(options.outDir, model.runtime.id, name), text);
    if (options.docsDir) files.set(join(options.docsDir, `${model.runtime.id}.md`), emitProviderDoc(model, { runtimeImport: options.runtimeImport, root }));
  }
  if (options.registryRuntimeImport) files.set(join(options.outDir, 'index.ts'), emitRegistry(models, { runtimeImport: options.registryRuntimeImport, root }));

  for (const [file, text] of files) {
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    const name = relative(root, file);
    if (current === text) result.unchanged.push(name);
    else if (options.check) result.stale.push(name);
    else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      result.written.push(name);
    }
  }
  return result;
}

/** Every built-in spec: schemas/providers/<id>/provider.yaml, sorted by id. */
export function builtInSpecFiles(): string[] {
  return readdirSync(BUILT_IN_PROVIDERS_DIR)
    .sort()
    .map((id) => join(BUILT_IN_PROVIDERS_DIR, id, 'provider.yaml'))
    .filter(existsSync);
}

/** Regenerates (or checks) generated/ for every built-in provider. */
export function generateBuiltIns(check = false, onProgress?: (message: string) => void): Promise<GenerateResult> {
  return generate({ specFiles: builtInSpecFiles(), outDir: GENERATED_DIR, runtimeImport: '../../runtime/provider.js', registryRuntimeImport: '../runtime/provider.js', docsDir: join(PACKAGE_ROOT, 'docs', 'providers'), check, onProgress });
}
