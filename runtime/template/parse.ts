/**
 * Parser of the template language: literal text with `{expression}` holes.
 *
 *   template   := (literal | "{" expr "}")*        "{{" and "}}" stand for literal braces
 *   expr       := call | source | string
 *   call       := name "(" [expr ("," expr)*] ")"
 *   source     := name [":" argument]              argument runs to the next "," ")" or "}"
 *   string     := "'" characters "'"
 *
 * The language is closed: sources and functions are the fixed sets below, so a spec can never run
 * code of its own. Parsing happens once, when a receiver is created (or when the generator checks
 * a spec); rendering uses the compiled closures of compile.ts.
 */

export const SOURCES = {
  body: 'the raw body bytes, exactly as received',
  method: 'the HTTP method, upper case',
  url: 'the request URL as received (prefer config:… for URLs a provider signs as registered)',
  header: 'a request header by name (case-insensitive)',
  query: 'a query-string parameter of the request URL',
  json: 'a value in the JSON body by JSON Pointer (/a/b/0)',
  form: 'a field of a form-urlencoded body',
  form_sorted:
    'every field of a form-urlencoded body as name then value, no separators: names in UTF-16 code-unit order, ' +
    'a repeated name once per distinct value, its values in the same order (Twilio)',
  param: 'an entry of the signature header list other than the signature itself (Stripe `t`)',
  config: 'a named setting of the receiver (`config` option)',
  credential: 'a named credential of the receiver (the primary one is the `secret` option)',
  item: 'with event.each: a value in the current element of the fanned-out array, by JSON Pointer',
  error: 'in a rejection template: the rejection\'s reason, status or message',
} as const;

export const FUNCTIONS = {
  sha256_hex: { arity: 1, doc: 'lower-case hex SHA-256 of the argument' },
  sha256_base64: { arity: 1, doc: 'base64 SHA-256 of the argument' },
  crc32: { arity: 1, doc: 'CRC-32 of the argument as an unsigned decimal number (PayPal)' },
  latin1: { arity: 1, doc: 'each UTF-16 unit of the text truncated to 8 bits (Trello)' },
  hmac_sha256_hex: { arity: 2, doc: 'lower-case hex HMAC-SHA256 keyed by the first argument' },
  hmac_sha256_base64: { arity: 2, doc: 'base64 HMAC-SHA256 keyed by the first argument' },
  json_string: { arity: 1, doc: 'the argument as a JSON string literal, quotes included' },
  xml_escape: { arity: 1, doc: 'the argument with & < > " \' escaped for XML text and attributes' },
  left: { arity: 2, doc: "the first N characters of the first argument, N the second (Salesforce org ids: left(x, '15'))" },
} as const;

export type SourceName = keyof typeof SOURCES;
export type FunctionName = keyof typeof FUNCTIONS;

export type TemplateNode =
  | { kind: 'literal'; text: string }
  | { kind: 'source'; source: SourceName; arg: string }
  | { kind: 'call'; fn: FunctionName; args: TemplateNode[] };

export class TemplateSyntaxError extends Error {
  constructor(
    readonly template: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`${reason} at offset ${offset} of template ${JSON.stringify(template)}`);
    this.name = 'TemplateSyntaxError';
  }
}

const NEEDS_ARGUMENT: ReadonlySet<SourceName> = new Set(['header', 'query', 'json', 'form', 'param', 'config', 'credential', 'item', 'error']);

/**
 * Parsed templates by source. Specs hold a small fixed set of templates, and the signer and the
 * verifier's setup ask about the same ones for every delivery (which header holds the signature,
 * the timestamp, the id): parsing each once keeps that off the per-request path. Parsed trees are
 * frozen because they are shared.
 */
const parsed = new Map<string, readonly TemplateNode[]>();
const MAX_CACHED = 2048;

export function parseTemplate(template: string): readonly TemplateNode[] {
  let nodes = parsed.get(template);
  if (!nodes) {
    nodes = deepFreeze(parse(template));
    // A bound for processes that parse arbitrary templates (the generator over many specs).
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(template, nodes);
  }
  return nodes;
}

function deepFreeze(nodes: TemplateNode[]): readonly TemplateNode[] {
  for (const node of nodes) {
    if (node.kind === 'call') deepFreeze(node.args);
    Object.freeze(node);
  }
  return Object.freeze(nodes);
}

function parse(template: string): TemplateNode[] {
  const nodes: TemplateNode[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '{' && template[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (c === '}' && template[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (c === '}') {
      throw new TemplateSyntaxError(template, i, 'unmatched "}" (write "}}" for a literal brace)');
    } else if (c === '{') {
      if (literal) nodes.push({ kind: 'literal', text: literal });
      literal = '';
      const parser = new ExpressionParser(template, i + 1);
      const node = parser.expression();
      parser.skipSpaces();
      if (template[parser.pos] !== '}') throw new TemplateSyntaxError(template, parser.pos, 'expected "}"');
      nodes.push(node);
      i = parser.pos + 1;
    } else {
      literal += c;
      i += 1;
    }
  }
  if (literal) nodes.push({ kind: 'literal', text: literal });
  return nodes;
}

class ExpressionParser {
  constructor(
    private readonly text: string,
    public pos: number,
  ) {}

  skipSpaces(): void {
    while (this.text[this.pos] === ' ') this.pos += 1;
  }

  expression(): TemplateNode {
    this.skipSpaces();
    if (this.text[this.pos] === "'") return this.string();
    const start = this.pos;
    const name = this.name();
    if (!name) throw new TemplateSyntaxError(this.text, start, 'expected a source, a function call or a quoted string');
    if (this.text[this.pos] === '(') return this.call(name, start);
    if (!(name in SOURCES)) {
      throw new TemplateSyntaxError(this.text, start, `unknown source "${name}" (known: ${Object.keys(SOURCES).join(', ')})`);
    }
    const source = name as SourceName;
    let arg = '';
    if (this.text[this.pos] === ':') {
      this.pos += 1;
      const argStart = this.pos;
      while (this.pos < this.text.length && !',)}'.includes(this.text[this.pos]!)) this.pos += 1;
      arg = this.text.slice(argStart, this.pos).trim();
      if (!arg) throw new TemplateSyntaxError(this.text, argStart, `source "${source}:" needs an argument`);
    }
    if (source === 'error' && !['reason', 'status', 'message'].includes(arg)) {
      throw new TemplateSyntaxError(this.text, start, `{error:…} is reason, status or message (got "${arg}")`);
    }
    if (NEEDS_ARGUMENT.has(source) && !arg && source !== 'item') {
      throw new TemplateSyntaxError(this.text, start, `source "${source}" needs an argument, as in {${source}:name}`);
    }
    if (!NEEDS_ARGUMENT.has(source) && arg) {
      throw new TemplateSyntaxError(this.text, start, `source "${source}" takes no argument`);
    }
    if ((source === 'json' || source === 'item') && arg !== '' && !arg.startsWith('/')) {
      throw new TemplateSyntaxError(this.text, start, `a JSON Pointer starts with "/" (got "${arg}")`);
    }
    return { kind: 'source', source, arg: source === 'header' ? arg.toLowerCase() : arg };
  }

  private name(): string {
    const start = this.pos;
    while (this.pos < this.text.length && /[a-z0-9_]/.test(this.text[this.pos]!)) this.pos += 1;
    return this.text.slice(start, this.pos);
  }

  private string(): TemplateNode {
    const start = this.pos;
    const end = this.text.indexOf("'", start + 1);
    if (end < 0) throw new TemplateSyntaxError(this.text, start, 'unterminated quoted string');
    this.pos = end + 1;
    return { kind: 'literal', text: this.text.slice(start + 1, end) };
  }

  private call(name: string, start: number): TemplateNode {
    if (!(name in FUNCTIONS)) {
      throw new TemplateSyntaxError(this.text, start, `unknown function "${name}" (known: ${Object.keys(FUNCTIONS).join(', ')})`);
    }
    const fn = name as FunctionName;
    this.pos += 1; // (
    const args: TemplateNode[] = [];
    this.skipSpaces();
    if (this.text[this.pos] !== ')') {
      for (;;) {
        args.push(this.expression());
        this.skipSpaces();
        if (this.text[this.pos] === ',') {
          this.pos += 1;
          continue;
        }
        break;
      }
    }
    if (this.text[this.pos] !== ')') throw new TemplateSyntaxError(this.text, this.pos, `expected "," or ")" in ${fn}(…)`);
    this.pos += 1;
    if (args.length !== FUNCTIONS[fn].arity) {
      throw new TemplateSyntaxError(this.text, start, `${fn} takes ${FUNCTIONS[fn].arity} argument(s), got ${args.length}`);
    }
    return { kind: 'call', fn, args };
  }
}

/** The sources a template reads, for checks such as "every credential it names is declared". */
export function templateSources(nodes: readonly TemplateNode[]): Array<{ source: SourceName; arg: string }> {
  const out: Array<{ source: SourceName; arg: string }> = [];
  const walk = (node: TemplateNode): void => {
    if (node.kind === 'source') out.push({ source: node.source, arg: node.arg });
    else if (node.kind === 'call') node.args.forEach(walk);
  };
  nodes.forEach(walk);
  return out;
}

/** Whether a template reads a given source (`credential:secret`, `header:webhook-id`) anywhere, functions included. */
export function templateReads(template: string | undefined, source: SourceName, arg: string): boolean {
  if (template === undefined) return false;
  return templateSources(parseTemplate(template)).some((s) => s.source === source && s.arg === arg);
}

/** When a template is exactly one `{header:x}`, the header it names; the signer writes such headers. */
export function singleHeader(template: string): string | undefined {
  const nodes = parseTemplate(template);
  const only = nodes.length === 1 ? nodes[0] : undefined;
  return only?.kind === 'source' && only.source === 'header' ? only.arg : undefined;
}
