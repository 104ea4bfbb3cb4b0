import { encodeBytes, hmacSha256, latin1Bytes, sha256, utf8Bytes, utf8Text } from '#crypto';
import { parseTemplate, type FunctionName, type TemplateNode } from './parse.js';
import { crc32 } from './crc32.js';

/** A template renders to text or raw bytes; bytes stay bytes so the body is never re-encoded. */
export type Value = string | Uint8Array;

/** What templates read from a request. Implementations compute each source lazily. */
export interface TemplateContext {
  body(): Value;
  method(): string;
  url(): string;
  header(name: string): string | undefined;
  query(name: string): string | undefined;
  json(pointer: string): unknown;
  form(name: string): string | undefined;
  /** Every field of a form body in body order, repeats included; undefined when the body is not a form. */
  formPairs?(): ReadonlyArray<readonly [string, string]> | undefined;
  param(name: string): string | undefined;
  config(name: string): string | undefined;
  credential(name: string): string | undefined;
  /** With event.each: a value in the current element (undefined elsewhere). */
  item?(pointer: string): unknown;
  /** In a rejection template: reason, status or message (undefined elsewhere). */
  error?(field: string): string | undefined;
}

/** The rendered parts, or which part was missing ("header `x-slack-request-timestamp`"). */
export type Rendered = { parts: Value[]; missing?: undefined } | { parts?: undefined; missing: string };

export interface CompiledTemplate {
  readonly source: string;
  /** How messages name what the template reads: "header `x-hub-signature-256`", or the template itself. */
  readonly label: string;
  render(ctx: TemplateContext): Rendered;
  /** Rendered as one string (bytes decoded as UTF-8), or undefined when a part is missing. */
  text(ctx: TemplateContext): string | undefined;
}

type Evaluator = (ctx: TemplateContext) => Value | undefined;

const MISSING_LABEL: Record<string, (arg: string) => string> = {
  body: () => 'body',
  method: () => 'method',
  url: () => 'url',
  header: (a) => `header \`${a}\``,
  query: (a) => `query parameter \`${a}\``,
  json: (a) => `JSON field \`${a}\``,
  form: (a) => `form field \`${a}\``,
  form_sorted: () => 'form fields (the body is not a form)',
  param: (a) => `\`${a}\` in the signature header`,
  config: (a) => `config \`${a}\``,
  credential: (a) => `credential \`${a}\``,
  item: (a) => `item field \`${a}\``,
  error: (a) => `error ${a}`,
};

/** Templates come from specs, a small fixed set: signing every delivery compiles each one once. */
const compiled = new Map<string, CompiledTemplate>();

export function compileTemplate(source: string): CompiledTemplate {
  let template = compiled.get(source);
  if (!template) {
    template = compile(source);
    compiled.set(source, template);
  }
  return template;
}

function compile(source: string): CompiledTemplate {
  const nodes = parseTemplate(source);
  const evaluators = nodes.map(compileNode);
  const labels = nodes.map(describeNode);
  const render = (ctx: TemplateContext): Rendered => {
    const parts: Value[] = new Array(evaluators.length);
    for (let i = 0; i < evaluators.length; i++) {
      const value = evaluators[i]!(ctx);
      if (value === undefined) return { missing: labels[i]! };
      parts[i] = value;
    }
    return { parts };
  };
  const only = nodes.length === 1 ? nodes[0]! : undefined;
  // Most templates that name things (a header, a JSON field) are one part: read it without the parts array.
  const single = evaluators.length === 1 ? evaluators[0]! : undefined;
  return {
    source,
    label: only && only.kind === 'source' ? labels[0]! : `\`${source}\``,
    render,
    text: single
      ? (ctx) => {
          const value = single(ctx);
          return value === undefined || typeof value === 'string' ? value : toText(value);
        }
      : (ctx) => {
          const rendered = render(ctx);
          if (!rendered.parts) return undefined;
          return rendered.parts.map(toText).join('');
        },
  };
}

export function toText(value: Value): string {
  return typeof value === 'string' ? value : utf8Text(value);
}

function describeNode(node: TemplateNode): string {
  if (node.kind === 'source') return MISSING_LABEL[node.source]!(node.arg);
  if (node.kind === 'call') return node.args.map(describeNode).join(' or ');
  return 'literal';
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

function compileNode(node: TemplateNode): Evaluator {
  switch (node.kind) {
    case 'literal': {
      const text = node.text;
      return () => text;
    }
    case 'source':
      return compileSource(node.source, node.arg);
    case 'call': {
      const args = node.args.map(compileNode);
      const fn = FUNCTION_IMPLEMENTATIONS[node.fn];
      return (ctx) => {
        const values: Value[] = [];
        for (const arg of args) {
          const v = arg(ctx);
          if (v === undefined) return undefined;
          values.push(v);
        }
        return fn(values);
      };
    }
  }
}

function compileSource(source: string, arg: string): Evaluator {
  switch (source) {
    case 'body':
      return (ctx) => ctx.body();
    case 'method':
      return (ctx) => ctx.method();
    case 'url':
      return (ctx) => ctx.url();
    case 'header':
      return (ctx) => ctx.header(arg);
    case 'query':
      return (ctx) => ctx.query(arg);
    case 'json':
      return (ctx) => scalarText(ctx.json(arg));
    case 'form':
      return (ctx) => ctx.form(arg);
    case 'form_sorted':
      return (ctx) => {
        const pairs = ctx.formPairs?.();
        return pairs === undefined ? undefined : sortedForm(pairs);
      };
    case 'param':
      return (ctx) => ctx.param(arg);
    case 'config':
      return (ctx) => ctx.config(arg);
    case 'credential':
      return (ctx) => ctx.credential(arg);
    case 'item':
      return (ctx) => scalarText(ctx.item?.(arg));
    case 'error':
      return (ctx) => ctx.error?.(arg);
    default:
      throw new Error(`unknown template source ${source}`);
  }
}

/**
 * Form fields as Twilio's validators sign them: names sorted, each name followed by its value; a
 * repeated name once per distinct value, values sorted. Sorting compares UTF-16 code units, as
 * JavaScript's default sort (twilio-node) does.
 */
export function sortedForm(pairs: ReadonlyArray<readonly [string, string]>): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of pairs) {
    const values = byName.get(name);
    if (values) values.add(value);
    else byName.set(name, new Set([value]));
  }
  let out = '';
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...byName.get(name)!].sort()) out += name + value;
  }
  return out;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

const FUNCTION_IMPLEMENTATIONS: Record<FunctionName, (args: Value[]) => Value> = {
  sha256_hex: ([x]) => encodeBytes(sha256(x!), 'hex'),
  sha256_base64: ([x]) => encodeBytes(sha256(x!), 'base64'),
  crc32: ([x]) => String(crc32(typeof x === 'string' ? utf8Bytes(x!) : x!)),
  latin1: ([x]) => latin1Bytes(toText(x!)),
  hmac_sha256_hex: ([k, x]) => encodeBytes(hmacSha256(k!, x!), 'hex'),
  hmac_sha256_base64: ([k, x]) => encodeBytes(hmacSha256(k!, x!), 'base64'),
  json_string: ([x]) => JSON.stringify(toText(x!)),
  xml_escape: ([x]) => toText(x!).replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!),
  left: ([x, n]) => toText(x!).slice(0, Number(toText(n!)) || 0),
};
