import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { Provider } from '../../runtime/index.js';
import { parseTemplate } from '../../runtime/template/parse.js';

export interface ExamplePayload {
  body: Buffer;
  contentType: string;
  /** Where it came from: a file, or `built` when none was found. */
  from: string;
}

interface RawSpec {
  events?: Record<string, { example?: string }> | { import: unknown };
  examples?: Array<{ request?: { headers?: Record<string, string | string[]>; body?: string; bodyFile?: string; method?: string }; expect?: { ok?: boolean; event?: string; events?: string[] } }>;
}

/**
 * The example payload of one event, as `hookgen trigger` sends it: `events.<key>.example`, else
 * `examples/payloads/<key>.json`, else the body of an accepted example request of that event (with its
 * Content-Type), else a minimal JSON body that carries the name where the spec reads it. The spec is
 * read as YAML only, so this works for built-in specs whose types need build-time importers.
 */
export function examplePayload(provider: Provider<object, unknown>, specFile: string | undefined, event: string): ExamplePayload {
  if (specFile && existsSync(specFile)) {
    const dir = dirname(specFile);
    const raw = (parse(readFileSync(specFile, 'utf8')) ?? {}) as RawSpec;
    const declared = raw.events && !('import' in raw.events) ? (raw.events as Record<string, { example?: string }>)[event] : undefined;
    for (const file of [declared?.example, `examples/payloads/${event}.json`]) {
      if (file && existsSync(join(dir, file))) return { body: readFileSync(join(dir, file)), contentType: 'application/json', from: join(dir, file) };
    }
    for (const example of raw.examples ?? []) {
      const expect = example.expect;
      if (!expect?.ok || !(expect.event === event || (expect.events?.length === 1 && expect.events[0] === event))) continue;
      const request = example.request ?? {};
      if ((request.method ?? 'POST').toUpperCase() !== 'POST') continue;
      const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v[0] : v]));
      const contentType = headers['content-type'] ?? 'application/json';
      if (request.bodyFile && existsSync(join(dir, request.bodyFile))) return { body: readFileSync(join(dir, request.bodyFile)), contentType, from: join(dir, request.bodyFile) };
      if (request.body !== undefined) return { body: Buffer.from(request.body, 'utf8'), contentType, from: `${specFile} (example)` };
    }
  }
  return { body: Buffer.from(JSON.stringify(minimalPayload(provider, event))), contentType: 'application/json', from: 'built' };
}

/** `{}` with the event name (and action) placed at the JSON Pointers the spec reads them from. */
export function minimalPayload(provider: Provider<object, unknown>, event: string): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  const { name, action } = splitEvent(provider, event);
  const place = (template: string | undefined, value: string) => {
    if (!template) return false;
    let nodes;
    try {
      nodes = parseTemplate(template);
    } catch {
      return false;
    }
    const only = nodes.length === 1 ? nodes[0] : undefined;
    if (only?.kind !== 'source' || only.source !== 'json' || !only.arg.startsWith('/')) return false;
    const path = only.arg.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let at: Record<string, unknown> = payload;
    for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1]!] = value;
    return true;
  };
  for (const choice of provider.spec.event.name) if (!choice.when && place(choice.value, name)) break;
  if (action) place(provider.spec.event.action, action);
  return payload;
}

/** A dispatch key is `name.action` when the spec has an action (GitHub's `issues.opened`). */
export function splitEvent(provider: Provider<object, unknown>, key: string): { name: string; action?: string } {
  if (provider.spec.event.action && key.includes('.')) {
    const at = key.lastIndexOf('.');
    return { name: key.slice(0, at), action: key.slice(at + 1) };
  }
  return { name: key };
}
