import { compileTemplate, type TemplateContext } from '../template/compile.js';
import type { HandshakeRule, ResponseTemplate } from '../spec/types.js';
import type { RequestContext } from './request.js';
import { equalBytes, utf8Bytes } from '#crypto';
import { parseTemplate } from '../template/parse.js';

function equalText(actual: string, expected: string | undefined): boolean {
  return expected !== undefined && equalBytes(utf8Bytes(actual), utf8Bytes(expected));
}

/** A response to send as it is: the handshake's answer or the provider's mandatory success body. */
export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface CompiledHandshake {
  name: string;
  authenticate: boolean;
  methods: string[] | undefined;
  matches(ctx: RequestContext): boolean;
  respond(ctx: RequestContext): WebhookResponse;
}

export function compileResponse(template: ResponseTemplate): (ctx: TemplateContext) => WebhookResponse {
  // The usual success answer reads nothing from the request: build it once.
  if (template.body === undefined && template.headers === undefined) {
    const fixed = { status: template.status, headers: {}, body: '' };
    return () => ({ ...fixed, headers: {} });
  }
  const body = template.body === undefined ? undefined : compileTemplate(template.body);
  const headers = Object.entries(template.headers ?? {}).map(([name, value]) => [name, compileTemplate(value)] as const);
  return (ctx) => ({
    status: template.status,
    headers: Object.fromEntries(headers.map(([name, value]) => [name, value.text(ctx) ?? ''])),
    body: body?.text(ctx) ?? '',
  });
}

export function compileHandshake(rule: HandshakeRule): CompiledHandshake {
  const methods = rule.when.method?.map((m) => m.toUpperCase());
  // Both sides are templates: `"{query:hub.verify_token}": "{config:verifyToken}"` compares with configuration.
  const equals = Object.entries(rule.when.equals ?? {}).map(([template, value]) => {
    const nodes = parseTemplate(value);
    const literal = nodes.every((node) => node.kind === 'literal') ? nodes.map((node) => (node.kind === 'literal' ? node.text : '')).join('') : undefined;
    return [compileTemplate(template), compileTemplate(value), literal] as const;
  });
  const present = (rule.when.present ?? []).map(compileTemplate);
  return {
    name: rule.name,
    authenticate: rule.authenticate,
    methods,
    matches(ctx) {
      if (methods && !methods.includes(ctx.method())) return false;
      for (const [template, value, literal] of equals) {
        const actual = template.text(ctx);
        if (actual === undefined) return false;
        // A literal is public; a value read from configuration may be a secret (Meta's verify token): constant time.
        if (literal !== undefined ? actual !== literal : !equalText(actual, value.text(ctx))) return false;
      }
      for (const template of present) if (!template.text(ctx)) return false;
      return true;
    },
    respond: compileResponse(rule.respond),
  };
}
