import { Ajv, type Format } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { fastFormats } from 'ajv-formats/dist/formats.js';
import type { SchemaBundle } from '../schemas/bundle.js';

const BUNDLE_ID = 'hookgen-bundle';

/**
 * Formats as regular expressions only: ajv writes a RegExp format into standalone code as a literal,
 * while a function format would have to be imported at run time. Date and time formats keep their
 * shape check (not the calendar check); `regex`, the numeric widths and `password`/`binary` are not
 * checked (they need code, or are annotations).
 */
function regexpFormats(): Record<string, Format> {
  const out: Record<string, Format> = {};
  for (const [name, format] of Object.entries(fastFormats)) {
    if (format instanceof RegExp) out[name] = format;
    else if (typeof format === 'object' && format.validate instanceof RegExp) out[name] = format.validate;
    else out[name] = true;
  }
  out.byte = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
  return out;
}

// ajv's standalone code require()s these helpers; a generated module must not need ajv installed,
// so each is replaced by an equivalent inlined function.
const INLINED: Record<string, { name: string; source: string }> = {
  'ajv/dist/runtime/ucs2length': {
    name: 'ucs2length',
    // Length in code points, as JSON Schema counts minLength/maxLength (a surrogate pair is one).
    source: `function ucs2length(str) {
  let length = 0;
  for (let pos = 0; pos < str.length; length++) {
    const code = str.charCodeAt(pos++);
    if (code >= 0xd800 && code <= 0xdbff && pos < str.length && (str.charCodeAt(pos) & 0xfc00) === 0xdc00) pos++;
  }
  return length;
}`,
  },
  'ajv/dist/runtime/equal': {
    name: 'equal',
    // Deep equality of JSON values (enum, const and uniqueItems over objects and arrays).
    source: `function equal(a, b) {
  if (a === b) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return a !== a && b !== b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((v, i) => equal(v, b[i]));
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]));
}`,
  },
};

/**
 * `validators.ts` of a provider spec with `validators: true`: ajv's standalone code for every event
 * payload schema (no ajv at run time), and `validate(key, data)`, which `defineProvider` hands to
 * `createSender` so `publish` refuses data that does not match. Events without a schema of their own
 * are checked against the spec's first `payload` schema when it names one, else not at all.
 */
export function emitValidators(bundle: SchemaBundle, providerId: string): string {
  const ajv = new Ajv({
    code: { source: true, esm: true, lines: true },
    strict: false,
    logger: false,
    allErrors: false,
    // One function per definition, shared by every event that references it: inlining copies big
    // shared objects (a Stripe Charge) into every event's validator.
    inlineRefs: false,
    formats: regexpFormats(),
  });
  ajv.addSchema({ $id: BUNDLE_ID, definitions: structuredClone(bundle.definitions) });

  const fallback = bundle.anyPayload?.[0];
  const keys = Object.keys(bundle.events).sort();
  const used = [...new Set([...keys.flatMap((k) => bundle.events[k]!.types), ...(fallback ? [fallback] : [])])].sort();
  const exportName = new Map(used.map((type, i) => [type, `v${i}`]));
  const refs = Object.fromEntries(used.map((type) => [exportName.get(type)!, `${BUNDLE_ID}#/definitions/${type}`]));
  let code = used.length ? (standaloneCode.default(ajv, refs) as string) : '"use strict";';

  const helpers: string[] = [];
  code = code.replace(/require\("([^"]+)"\)(?:\.default)?/g, (_, module: string) => {
    const inlined = INLINED[module];
    if (!inlined) {
      throw new Error(`validators for ${providerId}: ajv's code needs \`${module}\` at run time, which a generated module cannot import; remove the keyword that needs it from the event schemas, or turn \`validators\` off`);
    }
    if (!helpers.includes(inlined.source)) helpers.push(inlined.source);
    return inlined.name;
  });
  // The per-definition validators stay private to the module: `validate` is its interface.
  code = code.replace(/export const (v\d+) = /g, 'const $1 = ').replace(/^"use strict";\n?/, '');

  const table = keys
    .filter((k) => bundle.events[k]!.types.length > 0 || fallback)
    .map((k) => {
      const types = bundle.events[k]!.types.length ? bundle.events[k]!.types : [fallback!];
      return `  ${JSON.stringify(k)}: [${types.map((t) => exportName.get(t)).join(', ')}],`;
    });

  return `// @ts-nocheck: ajv's standalone validators are plain JavaScript; \`validate\` below is the typed interface.
${helpers.join('\n\n')}${helpers.length ? '\n\n' : ''}${code.trim()}

/** Dispatch key → the payload schemas the event may match (several for a union such as GitHub's \`issues\`). */
const schemas = {
${table.join('\n')}
};
${fallback ? `/** Events without a schema of their own: the spec's \`payload\`. */\nconst fallback = [${exportName.get(fallback)}];` : '/** Events without a schema of their own are not checked. */\nconst fallback = undefined;'}

const detail = (e) =>
  e.keyword === 'additionalProperties' ? \` (\\\`\${e.params.additionalProperty}\\\`)\`
  : e.keyword === 'enum' ? \`: \${e.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}\`
  : e.keyword === 'const' ? \`: \${JSON.stringify(e.params.allowedValue)}\`
  : '';

/**
 * \`undefined\` when \`data\` matches the event's schema, else its problem, where it is and what rule it
 * breaks: \`data/amount: must be number\`. With several candidate schemas, the one that got furthest
 * into the data (the deepest error) explains the refusal.
 */
export function validate(key: string, data: unknown): string | undefined {
  const candidates = Object.prototype.hasOwnProperty.call(schemas, key) ? schemas[key] : fallback;
  if (!candidates) return undefined;
  let best;
  for (const check of candidates) {
    if (check(data)) return undefined;
    for (const e of check.errors) if (!best || e.instancePath.length > best.instancePath.length) best = e;
  }
  return \`data\${best.instancePath}: \${best.message}\${detail(best)}\`;
}
`;
}
