import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HandshakeRule, NameChoice, RuntimeSpec, SignatureScheme } from '../runtime/spec/types.js';
import { parseTemplate, templateReads, templateSources, TemplateSyntaxError } from '../runtime/template/parse.js';
import type { Diagnostic } from './diagnostics.js';
import type { LoadedYaml } from './load.js';
import { closest } from './validate.js';
import { ASYMMETRIC, PUBLIC_KEY_DECODINGS } from '../runtime/crypto/node.js';
import { BUILTIN_PARAMETERS } from '../runtime/verify/builtins/index.js';

/** The YAML spec as written (after schema validation). */
export interface AuthoredSpec {
  id: string;
  name: string;
  docs?: string;
  checked?: string;
  notes?: string;
  setup?: string;
  content?: RuntimeSpec['content'];
  form?: { json?: string; nested?: boolean };
  methods?: string[];
  credentials: Record<string, { primary?: boolean; env?: string; description?: string; optional?: boolean }>;
  config?: Record<string, { description?: string; required?: boolean; default?: string }>;
  signatures: Array<Omit<SignatureScheme, 'format' | 'encoding' | 'key' | 'timestamp'> & {
    key: { credential?: string; decode?: SignatureScheme['key']['decode']; select?: string; certificate?: SignatureScheme['key']['certificate'] };
    format?: SignatureScheme['format'];
    encoding?: SignatureScheme['encoding'];
    timestamp?: { from: string; unit?: 's' | 'ms' | 'iso8601'; tolerance?: number; future?: number | null };
  }>;
  event: { name: Choices; action?: string; id?: Choices; each?: string };
  rejection?: RuntimeSpec['rejection'];
  envelope?: RuntimeSpec['envelope'];
  events?: Record<string, AuthoredEvent> | { import: { from: string; target?: string } };
  names?: string;
  payload?: string | string[];
  openEvents?: boolean;
  /** Emit validators.ts: standalone payload validators that `createSender({ spec })` checks `publish` with. */
  validators?: boolean;
  handshakes?: Array<Omit<HandshakeRule, 'when' | 'authenticate'> & { when: { method?: string | string[]; equals?: Record<string, string>; present?: string[] }; authenticate?: boolean }>;
  success?: RuntimeSpec['success'];
  examples?: SpecExample[];
}

type Choices = string | Array<string | NameChoice>;

export interface AuthoredEvent {
  schema?: string;
  description?: string;
  example?: string;
}

export interface SpecExample {
  name: string;
  origin: 'published' | 'sdk' | 'hookgen';
  source?: string;
  secret?: string;
  credentials?: Record<string, string>;
  config?: Record<string, string>;
  now?: number;
  request: { method?: string; url?: string; headers: Record<string, string | string[]>; body?: string; bodyFile?: string };
  certificates?: Record<string, string>;
  trust?: string[];
  expect: { ok: boolean; event?: string; events?: string[]; id?: string; handshake?: string; status?: number; body?: string; reason?: string; authenticated?: boolean };
}

export function normalizeChoices(choices: Choices | undefined): NameChoice[] | undefined {
  if (choices === undefined) return undefined;
  return (typeof choices === 'string' ? [choices] : choices).map((c) => (typeof c === 'string' ? { value: c } : c));
}

export function toRuntimeSpec(spec: AuthoredSpec, events: string[]): RuntimeSpec {
  const credentialNames = Object.keys(spec.credentials);
  const primary = credentialNames.find((n) => spec.credentials[n]!.primary) ?? credentialNames[0]!;
  return {
    id: spec.id,
    name: spec.name,
    ...(spec.docs ? { docs: spec.docs } : {}),
    content: spec.content ?? ['json'],
    ...(spec.form?.json ? { formJsonField: spec.form.json } : {}),
    ...(spec.form?.nested ? { formNested: true } : {}),
    methods: spec.methods ?? ['POST'],
    credentials: Object.fromEntries(
      credentialNames.map((n) => {
        const c = spec.credentials[n]!;
        return [n, { primary: n === primary, optional: c.optional ?? false, ...(c.env ? { env: c.env } : {}), ...(c.description ? { description: c.description } : {}) }];
      }),
    ),
    config: Object.fromEntries(
      Object.entries(spec.config ?? {}).map(([n, c]) => [n, { required: c.required ?? false, ...(c.description ? { description: c.description } : {}), ...(c.default !== undefined ? { default: c.default } : {}) }]),
    ),
    signatures: spec.signatures.map((s) => ({
      name: s.name,
      algorithm: s.algorithm,
      key: {
        ...(s.key.credential ? { credential: s.key.credential } : {}),
        decode: s.key.decode ?? (s.key.certificate ? 'spki' : 'utf8'),
        ...(s.key.select ? { select: s.key.select } : {}),
        ...(s.key.certificate ? { certificate: s.key.certificate } : {}),
      },
      from: s.from,
      format: s.format ?? {},
      ...(s.content !== undefined ? { content: s.content } : {}),
      ...(s.builtin ? { builtin: s.builtin } : {}),
      encoding: s.encoding ?? 'hex',
      ...(s.timestamp
        ? { timestamp: { from: s.timestamp.from, unit: s.timestamp.unit ?? 's', tolerance: s.timestamp.tolerance ?? 300, future: s.timestamp.future ?? null } }
        : {}),
    })),
    event: {
      name: normalizeChoices(spec.event.name)!,
      ...(spec.event.action ? { action: spec.event.action } : {}),
      ...(spec.event.id ? { id: normalizeChoices(spec.event.id)! } : {}),
      ...(spec.event.each !== undefined ? { each: spec.event.each } : {}),
    },
    handshakes: (spec.handshakes ?? []).map((h) => ({
      name: h.name,
      when: {
        ...(h.when.method ? { method: typeof h.when.method === 'string' ? [h.when.method] : h.when.method } : {}),
        ...(h.when.equals ? { equals: h.when.equals } : {}),
        ...(h.when.present ? { present: h.when.present } : {}),
      },
      authenticate: h.authenticate ?? true,
      respond: h.respond,
    })),
    success: spec.success ?? { status: 200 },
    ...(spec.rejection ? { rejection: spec.rejection } : {}),
    ...(spec.envelope ? { envelope: spec.envelope } : {}),
    events,
  };
}

/**
 * Rules the JSON Schema cannot state: templates parse, and every credential, config and signature
 * parameter they name is declared; files the spec names exist.
 */
export function checkSemantics(spec: AuthoredSpec, loaded: LoadedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  const dir = dirname(loaded.file);
  const credentials = new Set(Object.keys(spec.credentials));
  const config = new Set(Object.keys(spec.config ?? {}));
  const primaries = Object.entries(spec.credentials).filter(([, c]) => c.primary);
  if (primaries.length > 1) {
    out.push({ position: loaded.positionOf(`/credentials/${primaries[1]![0]}/primary`), message: `only one credential may be primary (${primaries.map(([n]) => n).join(', ')} are)` });
  }

  type Place = 'request' | 'signature' | 'event' | 'rejection';
  const checkTemplate = (template: string | undefined, pointer: string, place: Place | boolean) => {
    const where: Place = place === true ? 'signature' : place === false ? 'request' : place;
    const allowParams = where === 'signature';
    if (template === undefined) return;
    try {
      for (const { source, arg } of templateSources(parseTemplate(template))) {
        if (source === 'credential' && !credentials.has(arg)) {
          out.push({ position: loaded.positionOf(pointer), message: `template names credential \`${arg}\`, which \`credentials\` does not declare`, hint: `declared: ${[...credentials].join(', ')}` });
        }
        if (source === 'config' && !config.has(arg)) {
          out.push({ position: loaded.positionOf(pointer), message: `template names config \`${arg}\`, which \`config\` does not declare`, hint: 'declare it under config:' });
        }
        if (source === 'param' && !allowParams) {
          out.push({ position: loaded.positionOf(pointer), message: `{param:${arg}} reads the signature header's list entries; only a scheme with format.list has them` });
        }
        if (source === 'item' && (where !== 'event' || spec.event.each === undefined)) {
          out.push({ position: loaded.positionOf(pointer), message: `{item:${arg}} reads the current element of event.each; it has none here` });
        }
        if (source === 'error' && where !== 'rejection') {
          out.push({ position: loaded.positionOf(pointer), message: `{error:${arg}} exists only in the rejection template` });
        }
      }
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      out.push({ position: loaded.positionOf(pointer), message: error.message, hint: 'see docs/spec-language.md, "Templates"' });
    }
  };

  spec.signatures.forEach((s, i) => {
    const base = `/signatures/${i}`;
    const hasList = s.format?.list !== undefined;
    if (s.key.certificate) {
      if (!['rsa-sha256', 'rsa-sha1', 'ecdsa-p256-sha256', 'ed25519'].includes(s.algorithm)) {
        out.push({ position: loaded.positionOf(`${base}/algorithm`), message: `scheme \`${s.name}\` takes its key from a certificate; ${s.algorithm} is not a public-key algorithm` });
      }
      checkTemplate(s.key.certificate.url, `${base}/key/certificate/url`, false);
    } else if (!credentials.has(s.key.credential!)) {
      const near = closest(s.key.credential!, [...credentials]);
      out.push({
        position: loaded.positionOf(`${base}/key/credential`),
        message: `scheme \`${s.name}\` uses credential \`${s.key.credential}\`, which \`credentials\` does not declare`,
        hint: near ? `did you mean \`${near}\`?` : `declared: ${[...credentials].join(', ')}`,
      });
    }
    if (s.algorithm === 'builtin') {
      const needed = s.builtin ? BUILTIN_PARAMETERS[s.builtin.name] ?? [] : [];
      if (!s.builtin) out.push({ position: loaded.positionOf(base), message: `scheme \`${s.name}\` (builtin) needs \`builtin: { name, with }\`` });
      for (const name of needed.filter((n) => !(n in (s.builtin?.with ?? {})))) {
        out.push({ position: loaded.positionOf(`${base}/builtin/with`), message: `built-in \`${s.builtin!.name}\` needs parameter \`${name}\``, hint: `it takes ${needed.join(', ')}` });
      }
      for (const [name, template] of Object.entries(s.builtin?.with ?? {})) checkTemplate(template, `${base}/builtin/with/${name}`, false);
    } else if (s.builtin) {
      out.push({ position: loaded.positionOf(`${base}/builtin`), message: `scheme \`${s.name}\`: \`builtin\` goes with algorithm builtin` });
    }
    if (s.algorithm !== 'token' && s.algorithm !== 'builtin' && s.content === undefined) {
      out.push({ position: loaded.positionOf(base), message: `scheme \`${s.name}\` (${s.algorithm}) needs \`content\`: the template of the signed bytes` });
    }
    const decode = s.key.decode ?? (s.key.certificate ? 'spki' : 'utf8');
    if (!s.key.certificate && ASYMMETRIC.has(s.algorithm) !== PUBLIC_KEY_DECODINGS.has(decode)) {
      out.push({
        position: loaded.positionOf(`${base}/key`),
        message: ASYMMETRIC.has(s.algorithm)
          ? `scheme \`${s.name}\` (${s.algorithm}) verifies with a public key; key.decode must be spki, ed25519-hex or ed25519-base64, not ${decode}`
          : `scheme \`${s.name}\` (${s.algorithm}) uses a shared secret; key.decode ${decode} reads a public key`,
      });
    }
    if (s.algorithm === 'sha256' && s.content !== undefined && !readsCredentialSafely(s.content, s.key.credential ?? '')) {
      out.push({
        position: loaded.positionOf(`${base}/content`),
        message: `scheme \`${s.name}\` is a plain SHA-256: its content must contain {credential:${s.key.credential}}, or anyone could compute it`,
      });
    }
    if (decode.startsWith('ed25519') && s.algorithm !== 'ed25519') {
      out.push({ position: loaded.positionOf(`${base}/key/decode`), message: `key.decode ${decode} reads an Ed25519 key; scheme \`${s.name}\` is ${s.algorithm}` });
    }
    if (s.format?.prefix !== undefined && s.format.list !== undefined) {
      out.push({ position: loaded.positionOf(`${base}/format`), message: `scheme \`${s.name}\`: format.prefix and format.list do not combine`, hint: 'a list names its signature entries with format.signature' });
    }
    checkTemplate(s.from, `${base}/from`, false);
    checkTemplate(s.content, `${base}/content`, hasList);
    checkTemplate(s.timestamp?.from, `${base}/timestamp/from`, hasList);
    checkTemplate(s.key.select, `${base}/key/select`, false);
  });
  normalizeChoices(spec.event.name)!.forEach((c, i) => {
    const pointer = typeof spec.event.name === 'string' ? '/event/name' : `/event/name/${i}`;
    checkTemplate(c.value, pointer, 'event');
    checkTemplate(c.when, pointer, 'event');
    for (const [actual, expected] of Object.entries(c.equals ?? {})) {
      checkTemplate(actual, `${pointer}/equals`, 'event');
      checkTemplate(expected, `${pointer}/equals`, 'event');
    }
  });
  checkTemplate(spec.event.action, '/event/action', 'event');
  (normalizeChoices(spec.event.id) ?? []).forEach((c, i) => {
    const pointer = typeof spec.event.id === 'string' ? '/event/id' : `/event/id/${i}`;
    checkTemplate(c.value, pointer, 'event');
    checkTemplate(c.when, pointer, 'event');
    for (const [actual, expected] of Object.entries(c.equals ?? {})) {
      checkTemplate(actual, `${pointer}/equals`, 'event');
      checkTemplate(expected, `${pointer}/equals`, 'event');
    }
  });
  if (spec.event.each !== undefined && spec.event.each !== '' && !spec.event.each.startsWith('/')) {
    out.push({ position: loaded.positionOf('/event/each'), message: `event.each is a JSON Pointer: "" (the body itself) or starting with "/"` });
  }
  checkTemplate(spec.rejection?.body, '/rejection/body', 'rejection');
  for (const [name, t] of Object.entries(spec.rejection?.headers ?? {})) checkTemplate(t, `/rejection/headers/${name}`, 'rejection');
  checkTemplate(spec.success?.body, '/success/body', false);
  for (const [name, t] of Object.entries(spec.success?.headers ?? {})) checkTemplate(t, `/success/headers/${name}`, false);
  (spec.handshakes ?? []).forEach((h, i) => {
    for (const [t, v] of Object.entries(h.when.equals ?? {})) {
      checkTemplate(t, `/handshakes/${i}/when/equals`, false);
      checkTemplate(v, `/handshakes/${i}/when/equals`, false);
    }
    (h.when.present ?? []).forEach((t, j) => checkTemplate(t, `/handshakes/${i}/when/present/${j}`, false));
    checkTemplate(h.respond.body, `/handshakes/${i}/respond/body`, false);
    for (const [name, t] of Object.entries(h.respond.headers ?? {})) checkTemplate(t, `/handshakes/${i}/respond/headers/${name}`, false);
  });

  const checkFile = (relative: string | undefined, pointer: string) => {
    if (relative === undefined) return;
    const file = join(dir, relative.split('#')[0]!);
    if (!existsSync(file)) out.push({ position: loaded.positionOf(pointer), message: `file \`${relative.split('#')[0]}\` does not exist beside the spec` });
  };
  if (spec.events && !('import' in spec.events)) {
    for (const [key, event] of Object.entries(spec.events as Record<string, AuthoredEvent>)) {
      checkFile(event.schema, `/events/${key.replaceAll('~', '~0').replaceAll('/', '~1')}/schema`);
      checkFile(event.example, `/events/${key}/example`);
    }
  }
  for (const [i, file] of (typeof spec.payload === 'string' ? [spec.payload] : (spec.payload ?? [])).entries()) {
    checkFile(file, typeof spec.payload === 'string' ? '/payload' : `/payload/${i}`);
  }
  checkFile(spec.names, '/names');
  (spec.examples ?? []).forEach((e, i) => {
    checkFile(e.request.bodyFile, `/examples/${i}/request/bodyFile`);
    for (const file of Object.values(e.certificates ?? {})) checkFile(file, `/examples/${i}/certificates`);
    (e.trust ?? []).forEach((file, j) => checkFile(file, `/examples/${i}/trust/${j}`));
  });
  return out;
}

/** Reads a names file: one event name a line; blank lines and `#` comments are skipped. */
export function readNames(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function readsCredentialSafely(template: string, credential: string): boolean {
  try {
    return templateReads(template, 'credential', credential);
  } catch {
    return true; // the syntax error is reported on its own
  }
}
