import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { SPEC_SCHEMA_FILE } from './paths.js';
import type { Diagnostic } from './diagnostics.js';
import type { LoadedYaml } from './load.js';

let compiled: ReturnType<Ajv['compile']> | undefined;

function specValidator() {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    compiled = ajv.compile(JSON.parse(readFileSync(SPEC_SCHEMA_FILE, 'utf8')));
  }
  return compiled;
}

/** Checks a loaded spec against schemas/spec.schema.json; each error at its file:line:col. */
export function validateAgainstSchema(loaded: LoadedYaml): Diagnostic[] {
  const validate = specValidator();
  if (validate(loaded.data)) return [];
  const errors = pruneNoise(validate.errors ?? []);
  return errors.map((e) => toDiagnostic(e, loaded));
}

/** oneOf/anyOf failures repeat their branches' errors; keep the most specific ones only. */
function pruneNoise(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => !['oneOf', 'anyOf', 'if', 'not'].includes(e.keyword));
  const kept = specific.length ? specific : errors;
  // Where one path has errors from several oneOf branches, a type mismatch says least; drop it if others exist.
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of kept) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const out: ErrorObject[] = [];
  for (const list of byPath.values()) {
    const informative = list.filter((e) => e.keyword !== 'type');
    const chosen = informative.length ? informative : list.slice(0, 1);
    const seen = new Set<string>();
    for (const e of chosen) {
      const key = `${e.keyword}:${JSON.stringify(e.params)}`;
      if (!seen.has(key)) out.push(e), seen.add(key);
    }
  }
  return out;
}

function toDiagnostic(e: ErrorObject, loaded: LoadedYaml): Diagnostic {
  const where = e.instancePath || '/';
  const at = (pointer: string) => loaded.positionOf(pointer);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
      const near = closest(key, allowed);
      return {
        position: loaded.positionOf(`${e.instancePath}/${key}`, { key: true }),
        message: `unknown key \`${key}\` in ${where}`,
        hint: near ? `did you mean \`${near}\`?` : allowed.length ? `allowed here: ${allowed.join(', ')}` : undefined,
      };
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return { position: at(e.instancePath), message: `${where} needs \`${key}\`` };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      const near = closest(String(e.data), allowed.map(String));
      return {
        position: at(e.instancePath),
        message: `${where} is ${JSON.stringify(e.data)}; it must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
        ...(near ? { hint: `did you mean \`${near}\`?` } : {}),
      };
    }
    default:
      return { position: at(e.instancePath), message: `${where} ${e.message ?? 'is invalid'}` };
  }
}

/** The candidate within two edits of `word`, for "did you mean" hints. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) (best = candidate), (bestDistance = d);
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
