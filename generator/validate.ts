import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { SPEC_SCHEMA_FILE } from './paths.js';
import type { Diagnostic } from './diagnostics.js';
import type { LoadedYaml } from './load.js';

let compiled: ReturnType<Ajv['compile']> | undefined;

function specValidator() {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
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
      return { position: at(`${e.instancePath}/${key}`), message: `unknown key \`${key}\` in ${where}`, hint: allowedKeys(e) };
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return { position: at(e.instancePath), message: `${where} needs \`${key}\`` };
    }
    case 'enum':
      return {
        position: at(e.instancePath),
        message: `${where} must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      return { position: at(e.instancePath), message: `${where} ${e.message ?? 'is invalid'}` };
  }
}

function allowedKeys(e: ErrorObject): string | undefined {
  const properties = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? `allowed here: ${Object.keys(properties).join(', ')}` : undefined;
}
