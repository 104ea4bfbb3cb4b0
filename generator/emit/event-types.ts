import { compile } from 'json-schema-to-typescript';
import type { SchemaBundle } from '../schemas/bundle.js';

const ROOT = 'HookgenBundleRoot';

export interface EventTypeNames {
  /** `GithubEventMap`: dispatch key → payload type. */
  eventMap: string;
  /** `GithubAnyPayload`: any event's payload. */
  anyPayload: string;
}

/**
 * Payload types for a provider: json-schema-to-typescript over the bundle (one run, so shared
 * objects are declared once), then an event map indexed by dispatch key. Indexing a map keeps
 * type-checking cheap for providers with hundreds of events, where a distributive union would not.
 */
export async function emitEventTypes(bundle: SchemaBundle, names: EventTypeNames, open: boolean): Promise<string> {
  const used = new Set<string>();
  for (const event of Object.values(bundle.events)) event.types.forEach((t) => used.add(t));
  for (const type of bundle.anyPayload ?? []) used.add(type);
  const root = {
    title: ROOT,
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries([...used].sort().map((name) => [name, { $ref: `#/definitions/${name}` }])),
    definitions: bundle.definitions,
  };
  const declarations = await compile(root as never, ROOT, {
    bannerComment: '',
    format: false,
    additionalProperties: false,
    strictIndexSignatures: false,
    unreachableDefinitions: false,
    declareExternallyReferenced: true,
    ignoreMinAndMaxItems: true,
  });
  const lines: string[] = [withoutRoot(declarations).trim(), ''];

  const keys = Object.keys(bundle.events).sort();
  const allTypes = [...new Set(keys.flatMap((k) => bundle.events[k]!.types))].sort();
  const declared = bundle.anyPayload?.length ? bundle.anyPayload : undefined;
  const any = declared ?? (allTypes.length ? allTypes : ['unknown']);
  // Events listed without a schema of their own get the first declared payload type.
  const untyped = declared ? declared[0]! : names.anyPayload;
  lines.push(`/** The payload of any event${declared ? '' : ': one of the typed payloads'}. */`);
  lines.push(`export type ${names.anyPayload} = ${any.join(' | ')};`, '');
  lines.push('/** Dispatch key → payload type, as `on()` takes them. */');
  lines.push(`export interface ${names.eventMap} {`);
  for (const key of keys) {
    const event = bundle.events[key]!;
    if (event.description) lines.push(`  /** ${event.description.replaceAll('*/', '*\\/')} */`);
    lines.push(`  ${JSON.stringify(key)}: ${event.types.length ? event.types.join(' | ') : untyped};`);
  }
  if (open) lines.push(`  /** Event names are the sender's choice. */`, `  [key: string]: ${names.anyPayload};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Drops the synthetic root interface json-schema-to-typescript declares for the bundle. */
function withoutRoot(source: string): string {
  const start = source.indexOf(`export interface ${ROOT} {`);
  if (start < 0) return source;
  const end = source.indexOf('\n}\n', start);
  return source.slice(0, start) + source.slice(end + 3);
}
