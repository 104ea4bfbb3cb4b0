import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file `hookgen init` writes at the root of a user's project. */
export const CONFIG_FILE = 'hookgen.config.json';

export const FRAMEWORKS = ['node', 'express', 'fastify', 'hono', 'next', 'lambda', 'koa', 'fetch'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface ProviderEntry {
  /** A built-in id (`trello`), or the path of a local provider.yaml relative to the project root. */
  source: string;
  framework: Framework;
  /** Files hookgen owns, relative to the project root (POSIX separators) → sha256 of what it wrote. */
  files: Record<string, string>;
  /** Files scaffolded once and then the user's (the framework glue): never overwritten. */
  scaffolded: string[];
}

export interface ProjectConfig {
  /** Where provider modules go, relative to the project root. */
  outDir: string;
  framework: Framework;
  /** Module the generated code imports the runtime from. */
  runtimeImport: string;
  providers: Record<string, ProviderEntry>;
}

export class ProjectError extends Error {
  constructor(
    message: string,
    /** The exit code a command should end with. */
    readonly exit: number = 2,
  ) {
    super(message);
  }
}

export function defaultConfig(overrides: Partial<Pick<ProjectConfig, 'outDir' | 'framework'>> = {}): ProjectConfig {
  return { outDir: overrides.outDir ?? 'src/webhooks', framework: overrides.framework ?? 'node', runtimeImport: 'hookgen', providers: {} };
}

export function configPath(root: string): string {
  return join(root, CONFIG_FILE);
}

export function hasConfig(root: string): boolean {
  return existsSync(configPath(root));
}

export function readConfig(root: string): ProjectConfig {
  const file = configPath(root);
  if (!existsSync(file)) throw new ProjectError(`no ${CONFIG_FILE} in ${root}: run \`hookgen init\` first`);
  let parsed: Partial<ProjectConfig>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ProjectConfig>;
  } catch (error) {
    throw new ProjectError(`${CONFIG_FILE}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed.outDir !== 'string') throw new ProjectError(`${CONFIG_FILE}: "outDir" must be a folder path`);
  if (parsed.framework !== undefined && !FRAMEWORKS.includes(parsed.framework)) throw new ProjectError(`${CONFIG_FILE}: "framework" is one of ${FRAMEWORKS.join(', ')}`);
  const providers: Record<string, ProviderEntry> = {};
  for (const [id, entry] of Object.entries(parsed.providers ?? {})) {
    providers[id] = { source: entry.source ?? id, framework: entry.framework ?? parsed.framework ?? 'node', files: entry.files ?? {}, scaffolded: entry.scaffolded ?? [] };
  }
  return { outDir: parsed.outDir, framework: parsed.framework ?? 'node', runtimeImport: parsed.runtimeImport ?? 'hookgen', providers };
}

export function formatConfig(config: ProjectConfig): string {
  const providers = Object.fromEntries(Object.keys(config.providers).sort().map((id) => [id, config.providers[id]!]));
  return `${JSON.stringify({ ...config, providers }, null, 2)}\n`;
}

/** Writes the config only when its text changes; returns whether it did. */
export function writeConfig(root: string, config: ProjectConfig): boolean {
  const file = configPath(root);
  const text = formatConfig(config);
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return false;
  writeFileSync(file, text);
  return true;
}
