import { compileTemplate, type CompiledTemplate } from '../template/compile.js';
import type { EventRule, NameChoice, SignatureScheme } from '../spec/types.js';
import { singleHeader, templateReads } from '../template/parse.js';
import type { RequestContext } from './request.js';

/** A verified webhook event. `key` is what `on()` matches: `name`, or `name.action` when there is one. */
export interface WebhookEvent<Name extends string = string, Payload = unknown> {
  /** What `on()` matches: `name.action` when the event has an action, else `name`. */
  key: string;
  /** The provider's event name (`issues`, `payment_intent.succeeded`). */
  name: Name;
  /** The refinement some providers add (`opened` for GitHub's `issues` event). */
  action?: string;
  /** The delivery id the provider sends (the dedup key), when it sends one. */
  id?: string;
  /** The parsed body: JSON, the fields of a form body, or XML as a document; with fan-out, the element. */
  payload: Payload;
  /** With fan-out (one request, several events): the whole parsed body the element came from. */
  envelope?: unknown;
  /** The provider spec id. */
  provider: string;
  /** Which signature scheme accepted it. */
  scheme: string;
}

type CompiledChoice = { when: CompiledTemplate | undefined; equals: Array<[CompiledTemplate, CompiledTemplate]>; value: CompiledTemplate };

export interface EventReader {
  /**
   * With event.each: the elements of the request, one event each (an empty list is a batch of none);
   * `missing` when the body has no such member; undefined without fan-out.
   */
  items(ctx: RequestContext): unknown[] | 'missing' | undefined;
  name(ctx: RequestContext): string | undefined;
  action(ctx: RequestContext): string | undefined;
  /** The delivery id, read where the accepting scheme signed it when the spec names several places. */
  id(ctx: RequestContext, scheme: string): string | undefined;
  /** The templates tried for the name, for the message when none resolves. */
  describeName(): string;
}

export function compileEventRule(rule: EventRule, schemes: readonly SignatureScheme[] = []): EventReader {
  const names = rule.name.map(compileChoice);
  const ids = (rule.id ?? []).map(compileChoice);
  // Standard Webhooks reads webhook-id or svix-id: the id that counts is the one the accepting
  // scheme signed, or a replay could add an unsigned id header of the other family to dodge dedup.
  const idsByScheme = new Map(
    schemes.map((scheme) => {
      const signed = (rule.id ?? []).flatMap((choice, i) => {
        const header = singleHeader(choice.value);
        return header !== undefined && templateReads(scheme.content, 'header', header) ? [ids[i]!] : [];
      });
      return [scheme.name, signed.length ? signed : ids] as const;
    }),
  );
  const action = rule.action === undefined ? undefined : compileTemplate(rule.action);
  const each = rule.each;
  return {
    items: (ctx) => {
      if (each === undefined) return undefined;
      const value = ctx.json(each);
      return value === undefined ? 'missing' : value === null ? [] : Array.isArray(value) ? value : [value];
    },
    name: (ctx) => firstChoice(names, ctx),
    id: (ctx, scheme) => firstChoice(idsByScheme.get(scheme) ?? ids, ctx),
    action: (ctx) => {
      const text = action?.text(ctx);
      return text === '' ? undefined : text;
    },
    describeName: () => rule.name.map((c) => `\`${c.value}\``).join(', '),
  };
}

function compileChoice(choice: NameChoice): CompiledChoice {
  return {
    when: choice.when === undefined ? undefined : compileTemplate(choice.when),
    equals: Object.entries(choice.equals ?? {}).map(([actual, expected]) => [compileTemplate(actual), compileTemplate(expected)]),
    value: compileTemplate(choice.value),
  };
}

/** Every `equals` pair renders the same text (a missing side never matches). */
function equalsHold(pairs: CompiledChoice['equals'], ctx: RequestContext): boolean {
  for (const [actual, expected] of pairs) {
    const text = actual.text(ctx);
    if (text === undefined || text !== expected.text(ctx)) return false;
  }
  return true;
}

function firstChoice(choices: CompiledChoice[], ctx: RequestContext): string | undefined {
  for (const choice of choices) {
    if (choice.when && !choice.when.text(ctx)) continue;
    if (choice.equals.length > 0 && !equalsHold(choice.equals, ctx)) continue;
    const text = choice.value.text(ctx);
    if (text) return text;
  }
  return undefined;
}
