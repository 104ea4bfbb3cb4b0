import type { TemplateContext, Value } from '../template/compile.js';
import type { Rejection } from './errors.js';
import type { PublicKey } from '../crypto/contract.js';
import type { BodyKind, RuntimeSpec } from '../spec/types.js';

/** What the spec says about reading bodies. */
export type BodyRules = Pick<RuntimeSpec, 'content' | 'formJsonField' | 'formNested'>;
import { nestForm, parseForm } from './form.js';
import { parseXml } from './xml.js';
import { jsonPointer } from './json-pointer.js';

/** A header bag as frameworks hand them over: a plain object (any case) or a fetch `Headers`. */
export type HeaderBag = Record<string, string | string[] | undefined> | Headers;

/** What `verify` takes: the request exactly as received. */
export interface WebhookRequest {
  method?: string;
  url?: string;
  headers: HeaderBag;
  /** The raw body: the exact bytes received, or their text. Never a parsed object. */
  body: string | Uint8Array;
  /**
   * Node's `req.rawHeaders` (name, value, name, value…), when `headers` is node's `req.headers`: it
   * keeps repeated headers apart, which `req.headers` joins, without building `req.headersDistinct`.
   */
  rawHeaders?: readonly string[];
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });
const lenientDecoder = new TextDecoder('utf-8');

/**
 * Raw bytes, also when they come from another realm (a vm context, a test environment's globals):
 * `instanceof Uint8Array` alone would call those a parsed body.
 */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || Object.prototype.toString.call(value) === '[object Uint8Array]';
}

function kindOf(contentType: string | undefined): BodyKind | 'unknown' | undefined {
  if (contentType === undefined) return undefined;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (type === '') return undefined;
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml')) return 'xml';
  if (type === 'text/plain') return 'text';
  return 'unknown';
}

/**
 * One incoming request, with every template source computed on first use and kept: the body is
 * parsed at most once whether a signature, an event name or a handler reads it.
 */
export class RequestContext implements TemplateContext {
  private readonly methodName: string;
  private kind: BodyKind | 'unknown' | undefined | null = null;
  private lowerKeys: Map<string, string[]> | undefined;
  private bodyText: string | undefined;
  private parsed: { kind: BodyKind; document: unknown; form?: Record<string, string> } | undefined;
  private parseError: string | undefined;
  private queryParams: URLSearchParams | undefined;
  private pairs: Array<[string, string]> | undefined;
  /** Entries of the signature header list other than signatures (Stripe `t`), set by the verifier. */
  params: Record<string, string> | undefined;
  /** With event.each: the element whose event is being read. */
  currentItem: unknown;
  /** What built-in verifiers answered, by scheme name. */
  builtinOutcomes: Map<string, boolean | Rejection> | undefined;
  /** Keys downloaded for certificate schemes, by scheme name (or why they could not be). */
  certificateKeys: Map<string, PublicKey['key'] | Rejection> | undefined;
  /** While one key of a rotation is tried, the credential value `{credential:…}` reads. */
  credentialOverride: { name: string; value: string } | undefined;

  constructor(
    readonly request: WebhookRequest,
    private readonly configValues: Record<string, string | undefined>,
    private readonly credentials: Record<string, string | undefined>,
    private readonly body_: BodyRules,
  ) {
    this.methodName = (request.method ?? 'POST').toUpperCase();
  }

  method(): string {
    return this.methodName;
  }

  body(): Value {
    return this.request.body;
  }

  url(): string {
    return this.request.url ?? '';
  }

  /** A header as the bag holds it: a string, several values when the request repeated it, or undefined. */
  private raw(name: string): string | string[] | undefined {
    const headers = this.request.headers;
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const bag = headers as Record<string, string | string[] | undefined>;
    const value = bag[name];
    if (value !== undefined) return value;
    const key = this.lowerKeyMap().get(name)?.[0];
    return key === undefined ? undefined : bag[key];
  }

  /**
   * How many times the request carries a header: node's headersDistinct keeps repeats apart, and a
   * plain bag may hold one name under two spellings (`stripe-signature` and `Stripe-Signature`).
   */
  headerCount(name: string): number {
    const raw = this.request.rawHeaders;
    if (raw) {
      let count = 0;
      for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) count += 1;
      return count;
    }
    const headers = this.request.headers;
    if (headers instanceof Headers) return headers.has(name) ? 1 : 0;
    const bag = headers as Record<string, string | string[] | undefined>;
    let count = 0;
    for (const key of this.lowerKeyMap().get(name) ?? []) {
      const value = bag[key];
      if (value !== undefined) count += typeof value === 'string' ? 1 : value.length;
    }
    return count;
  }

  /** A header's value; undefined when it is absent or repeated. */
  header(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || typeof value === 'string') return value;
    return value.length === 1 ? String(value[0]) : undefined;
  }

  query(name: string): string | undefined {
    if (!this.queryParams) {
      const url = this.request.url ?? '';
      const q = url.indexOf('?');
      this.queryParams = new URLSearchParams(q < 0 ? '' : url.slice(q + 1).split('#')[0]);
    }
    return this.queryParams.get(name) ?? undefined;
  }

  json(pointer: string): unknown {
    const parsed = this.parse();
    return parsed ? jsonPointer(parsed.document, pointer) : undefined;
  }

  form(name: string): string | undefined {
    const parsed = this.parse();
    return parsed?.form?.[name];
  }

  /**
   * Every field of a form body, in body order and with repeats (`{form:…}` keeps the first value):
   * what `{form_sorted}` reads. Undefined when the body is not parsed as a form.
   */
  formPairs(): ReadonlyArray<readonly [string, string]> | undefined {
    if (this.pairs) return this.pairs;
    const declared = this.contentKind();
    const kind = declared === undefined || declared === 'unknown' ? this.body_.content[0]! : declared;
    if (kind !== 'form') return undefined;
    // Invalid UTF-8 reads as U+FFFD here, as percent-encoded invalid bytes do in URLSearchParams; such a
    // body is still refused (invalid_body) once its signature verified, since parse() decodes strictly.
    const body = this.request.body;
    this.pairs = [...new URLSearchParams(typeof body === 'string' ? body : lenientDecoder.decode(body))];
    return this.pairs;
  }

  item(pointer: string): unknown {
    return jsonPointer(this.currentItem, pointer);
  }

  param(name: string): string | undefined {
    return this.params?.[name];
  }

  config(name: string): string | undefined {
    return this.configValues[name];
  }

  credential(name: string): string | undefined {
    return this.credentialOverride?.name === name ? this.credentialOverride.value : this.credentials[name];
  }

  text(): string {
    if (this.bodyText === undefined) {
      const body = this.request.body;
      this.bodyText = typeof body === 'string' ? body : textDecoder.decode(body);
    }
    return this.bodyText;
  }

  /**
   * The body kind the Content-Type names: undefined when there is no Content-Type, `unknown` when it
   * names a type hookgen does not parse.
   */
  contentKind(): BodyKind | 'unknown' | undefined {
    if (this.kind === null) this.kind = kindOf(this.header('content-type'));
    return this.kind;
  }

  /**
   * Parses the body as its Content-Type says, or as the provider's first body kind when there is
   * none. A form body is also readable as a document: its fields, or the JSON inside the spec's
   * `formJsonField`. `text` bodies carry JSON (AWS SNS sends text/plain).
   */
  parse(): { kind: BodyKind; document: unknown; form?: Record<string, string> } | undefined {
    if (this.parsed || this.parseError !== undefined) return this.parsed;
    const declared = this.contentKind();
    const kind = declared === undefined || declared === 'unknown' ? this.body_.content[0]! : declared;
    try {
      if (kind === 'form') {
        const form = parseForm(this.text());
        const embedded = this.body_.formJsonField ? form[this.body_.formJsonField] : undefined;
        const fields = this.body_.formNested ? nestForm(form) : form;
        this.parsed = { kind, form, document: embedded === undefined ? fields : JSON.parse(embedded) };
      } else if (kind === 'xml') {
        this.parsed = { kind, document: parseXml(this.text()) };
      } else {
        this.parsed = { kind, document: JSON.parse(this.text()) };
      }
    } catch (error) {
      this.parseError = error instanceof Error ? error.message : String(error);
    }
    return this.parsed;
  }

  /** Why the body could not be parsed, once `parse()` has returned undefined. */
  bodyError(): string | undefined {
    return this.parseError;
  }

  /** Lower-cased header name → the bag's keys spelling it. */
  private lowerKeyMap(): Map<string, string[]> {
    if (!this.lowerKeys) {
      this.lowerKeys = new Map();
      for (const key of Object.keys(this.request.headers)) {
        const lower = key.toLowerCase();
        const keys = this.lowerKeys.get(lower);
        if (keys) keys.push(key);
        else this.lowerKeys.set(lower, [key]);
      }
    }
    return this.lowerKeys;
  }
}
