import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ProjectError, readConfig, writeConfig, type Framework, type ProjectConfig, type ProviderEntry } from './config.js';
import { contentHash } from './hash.js';
import { addProviderExport } from './index-file.js';
import { normalizeSource, projectPath, renderGlue, renderProvider, type RenderedProvider } from './render.js';

export interface Conflict {
  file: string;
  /** `edited`: hookgen wrote it and it changed since. `untracked`: a file hookgen did not write is in the way. */
  reason: 'edited' | 'untracked';
}

export interface SyncResult {
  provider: string;
  source: string;
  framework: Framework;
  /** Files written (or, with `check`, that would be). */
  written: string[];
  unchanged: string[];
  /** Files not written because the user changed them: nothing at all is written when there is one. */
  conflicts: Conflict[];
  /** The framework glue written now (once; it is the user's afterwards), or kept as the user has it. */
  scaffolded: string[];
  kept: string[];
  /** Whether `<outDir>/index.ts` got the provider's export line. */
  index: 'added' | 'unchanged' | 'skipped';
}

export interface SyncOptions {
  framework?: Framework;
  /** Overwrite generated files the user edited. */
  force?: boolean;
  /** Write nothing; report what would change. */
  check?: boolean;
  /** Scaffold the glue and register the module in the index (add-provider); `generate` does neither. */
  scaffold?: boolean;
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

/** What a re-render would do to each generated file, without writing. */
export function plan(root: string, rendered: RenderedProvider, entry: ProviderEntry | undefined, force: boolean) {
  const writes: Array<[string, string]> = [];
  const unchanged: string[] = [];
  const conflicts: Conflict[] = [];
  for (const [path, text] of Object.entries(rendered.files)) {
    const current = read(join(root, path));
    if (current === text) unchanged.push(path);
    else if (current === undefined || force) writes.push([path, text]);
    else {
      const recorded = entry?.files[path];
      if (recorded === undefined) conflicts.push({ file: path, reason: 'untracked' });
      else if (recorded !== contentHash(current)) conflicts.push({ file: path, reason: 'edited' });
      else writes.push([path, text]);
    }
  }
  return { writes, unchanged, conflicts };
}

/**
 * Brings one provider's module in the project up to date: `hookgen add-provider` (with `scaffold`) and
 * `hookgen generate` in a project. Idempotent: a second run finds every file unchanged and writes nothing,
 * the config included. A generated file whose content no longer matches the hash recorded when hookgen
 * wrote it was edited by the user: then nothing is written unless `force`.
 */
export async function syncProvider(root: string, config: ProjectConfig, idOrSource: string, options: SyncOptions = {}): Promise<SyncResult> {
  const source = normalizeSource(root, idOrSource);
  const rendered = await renderProvider(root, config, source);
  const previous = config.providers[rendered.id];
  if (previous && previous.source !== source && !options.force) {
    throw new ProjectError(`provider \`${rendered.id}\` is already in this project from ${previous.source}; pass --force to replace it with ${source}`, 1);
  }
  const framework = options.framework ?? previous?.framework ?? config.framework;
  const { writes, unchanged, conflicts } = plan(root, rendered, previous?.source === source ? previous : undefined, options.force ?? false);
  const result: SyncResult = { provider: rendered.id, source, framework, written: writes.map(([p]) => p), unchanged, conflicts, scaffolded: [], kept: [], index: 'skipped' };
  if (conflicts.length) {
    result.written = [];
    return result;
  }

  const scaffolded = new Set(previous?.scaffolded ?? []);
  let glue: { path: string; text: string } | undefined;
  let indexText: { path: string; before: string | undefined; after: string } | undefined;
  if (options.scaffold) {
    glue = renderGlue(root, config, rendered, framework);
    // Written once: afterwards it is the user's, even if they delete it.
    if (existsSync(join(root, glue.path)) || scaffolded.has(glue.path)) {
      result.kept.push(glue.path);
      glue = undefined;
    } else result.scaffolded.push(glue.path);
    const indexPath = projectPath(root, join(resolve(root, config.outDir), 'index.ts'));
    const before = read(join(root, indexPath));
    const after = await addProviderExport(before, rendered.id, rendered.camel);
    result.index = after === before ? 'unchanged' : 'added';
    if (after !== before) indexText = { path: indexPath, before, after };
  }
  if (options.check) return result;

  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const [path, text] of writes) put(path, text);
  if (glue) {
    put(glue.path, glue.text);
    scaffolded.add(glue.path);
  }
  if (indexText) put(indexText.path, indexText.after);

  config.providers[rendered.id] = {
    source,
    framework,
    files: Object.fromEntries(Object.entries(rendered.files).map(([path, text]) => [path, contentHash(text)])),
    scaffolded: [...scaffolded].sort(),
  };
  writeConfig(root, config);
  return result;
}

export { readConfig };
