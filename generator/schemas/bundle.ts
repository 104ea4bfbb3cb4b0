import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import type { LoadedYaml } from '../load.js';

type Schema = Record<string, unknown>;

/**
 * A provider's payload schemas as one JSON Schema document: every named schema is a top-level
 * definition, and every event key maps to the definitions its payload may be (a union for GitHub's
 * `issues`, which is any `issues.*` action). One document means one json-schema-to-typescript run,
 * so a shared object becomes one interface instead of a numbered copy per file.
 */
export interface SchemaBundle {
  definitions: Record<string, Schema>;
  events: Record<string, { types: string[]; description?: string }>;
  /**
   * Definitions of any event's payload, when the spec names them: the first types the events
   * without a schema of their own; onAny receives any of them.
   */
  anyPayload?: string[];
}

export function pascalCase(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return /^[0-9]/.test(name) ? `T${name}` : name;
}

/**
 * Gives each definition its own name as `title` and removes the titles inside definitions, and the
 * annotations beside a `$ref`: either makes json-schema-to-typescript declare another interface,
 * numbered when names collide. Object schemas without properties become open maps.
 */
export function normalizeTitles(definitions: Record<string, Schema>): void {
  const strip = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(strip);
    if (!node || typeof node !== 'object') return;
    const record = node as Schema;
    delete record.title;
    // Draft-07 ignores a $ref's siblings; json-schema-to-typescript would declare a numbered copy for them.
    if ('$ref' in record) for (const key of ['description', '$comment', 'examples', 'default']) delete record[key];
    // An object schema that names no properties is a map of anything, not the empty type `{}`.
    if (isBareObject(record)) record.additionalProperties = true;
    for (const [key, value] of Object.entries(record)) {
      if (key === 'properties' || key === 'patternProperties' || key === 'definitions' || key === '$defs') {
        for (const child of Object.values(value as Schema)) strip(child);
      } else if (key !== 'enum' && key !== 'const' && key !== 'examples' && key !== 'default') {
        strip(value);
      }
    }
  };
  for (const [name, schema] of Object.entries(definitions)) {
    strip(schema);
    schema.title = name;
  }
}

function isBareObject(schema: Schema): boolean {
  const type = schema.type;
  const isObject = type === 'object' || (Array.isArray(type) && type.includes('object'));
  return isObject && !('properties' in schema) && !('patternProperties' in schema) && !('additionalProperties' in schema) && !('$ref' in schema);
}

interface FileEntry {
  /** The definition name of the file's root schema, when the root is a schema and not only a container. */
  root?: string;
}

/**
 * Bundles the schema files a spec names. A file's `definitions` become top-level definitions; its
 * root, if it describes a value, becomes a definition named by its `title`. References between files
 * (`objects.schema.json#/definitions/Charge`) become references inside the bundle.
 */
export function bundleSchemaFiles(
  loaded: LoadedYaml,
  events: Array<{ key: string; schema?: string; description?: string; pointer: string }>,
  payload: string | string[] | undefined,
  diagnostics: Diagnostic[],
): SchemaBundle {
  const dir = dirname(loaded.file);
  const definitions: Record<string, Schema> = {};
  const files = new Map<string, FileEntry>();
  const origin = new Map<string, string>();

  const define = (name: string, schema: Schema, file: string, pointer: string) => {
    const previous = origin.get(name);
    if (previous !== undefined && previous !== file) {
      diagnostics.push({ position: loaded.positionOf(pointer), message: `schema name \`${name}\` is defined in both ${previous} and ${file}`, hint: 'titles and definition names must be unique within a provider' });
      return;
    }
    origin.set(name, file);
    definitions[name] = schema;
  };

  const load = (file: string, pointer: string): FileEntry => {
    const known = files.get(file);
    if (known) return known;
    const entry: FileEntry = {};
    files.set(file, entry);
    const rel = relative(dir, file);
    let schema: Schema;
    try {
      schema = JSON.parse(readFileSync(file, 'utf8')) as Schema;
    } catch (error) {
      diagnostics.push({ position: loaded.positionOf(pointer), message: `cannot read schema ${rel}: ${(error as Error).message}` });
      return entry;
    }
    const nested = { ...(schema.definitions as Record<string, Schema> | undefined), ...(schema.$defs as Record<string, Schema> | undefined) };
    delete schema.definitions;
    delete schema.$defs;
    delete schema.$schema;
    delete schema.$id;
    const isContainer = !('type' in schema) && !('properties' in schema) && !('allOf' in schema) && !('anyOf' in schema) && !('oneOf' in schema) && !('$ref' in schema);
    const pending: Array<[string, Schema]> = Object.entries(nested);
    if (!isContainer) {
      entry.root = pascalCase(typeof schema.title === 'string' ? schema.title : basename(file).replace(/\.schema\.json$|\.json$/, ''));
      pending.push([entry.root, schema]);
    }
    for (const [name, definition] of pending) {
      rewriteRefs(definition, (ref) => resolveRef(ref, file, pointer));
      define(name, definition, rel, pointer);
    }
    return entry;
  };

  const resolveRef = (ref: string, from: string, pointer: string): string => {
    const [target, fragment = ''] = ref.split('#');
    // `#` is the file's own root: a recursive schema.
    if (!target && !fragment) {
      const root = load(from, pointer).root;
      if (!root) diagnostics.push({ position: loaded.positionOf(pointer), message: `\`$ref: "#"\` in ${relative(dir, from)}: that file's root is not a schema` });
      return `#/definitions/${root ?? 'unknown'}`;
    }
    if (fragment && !/^\/(definitions|\$defs)\/[^/]+$/.test(fragment)) {
      diagnostics.push({ position: loaded.positionOf(pointer), message: `reference \`${ref}\` in ${relative(dir, from)} must name a whole file or one of its definitions` });
      return ref;
    }
    if (target) {
      const entry = load(join(dirname(from), target), pointer);
      if (!fragment) {
        if (!entry.root) diagnostics.push({ position: loaded.positionOf(pointer), message: `reference \`${ref}\`: that file holds only definitions; name one` });
        return `#/definitions/${entry.root ?? 'unknown'}`;
      }
    }
    return `#/definitions/${fragment.split('/')[2]}`;
  };

  const typeOf = (ref: string, pointer: string): string | undefined => {
    const [target, fragment] = ref.split('#');
    const entry = load(join(dir, target!), pointer);
    if (fragment) return fragment.split('/')[2];
    if (!entry.root) diagnostics.push({ position: loaded.positionOf(pointer), message: `schema \`${ref}\` holds only definitions; name one as file#/definitions/Name` });
    return entry.root;
  };

  const bundle: SchemaBundle = { definitions, events: {} };
  for (const event of events) {
    const type = event.schema ? typeOf(event.schema, event.pointer) : undefined;
    bundle.events[event.key] = { types: type ? [type] : [], ...(event.description ? { description: event.description } : {}) };
  }
  if (payload !== undefined) {
    const list = typeof payload === 'string' ? [payload] : payload;
    bundle.anyPayload = list.map((ref, i) => typeOf(ref, typeof payload === 'string' ? '/payload' : `/payload/${i}`)).filter((t): t is string => t !== undefined);
  }
  normalizeTitles(definitions);
  return bundle;
}

/** Applies `map` to every `$ref` in a schema, in place. */
export function rewriteRefs(node: unknown, map: (ref: string) => string): void {
  if (Array.isArray(node)) return node.forEach((n) => rewriteRefs(n, map));
  if (!node || typeof node !== 'object') return;
  const record = node as Schema;
  for (const [key, value] of Object.entries(record)) {
    if (key === '$ref' && typeof value === 'string') record.$ref = map(value);
    else if (key !== 'enum' && key !== 'const' && key !== 'examples' && key !== 'default') rewriteRefs(value, map);
  }
}
