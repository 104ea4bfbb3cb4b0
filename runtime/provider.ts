import type { RuntimeSpec } from './spec/types.js';
import type { WebhookEvent } from './verify/event.js';

/**
 * A provider: its spec as data, and (as types only) its event map — dispatch key → payload type —
 * and the payload type of any event, including those without a schema of their own.
 * Generated modules (`hookgen/providers/<id>`) export one of these.
 */
export interface Provider<Events extends object = Record<string, unknown>, AnyPayload = unknown> {
  readonly id: string;
  readonly spec: RuntimeSpec;
  /** Never set at run time: it carries the types. */
  readonly types?: { events: Events; any: AnyPayload };
  /**
   * Checks an event's payload against its JSON Schema, for specs generated with `validators: true`:
   * `undefined` when it conforms, else the first problem (`data/amount: must be number`).
   * `createSender({ spec })` refuses to publish what it rejects.
   */
  readonly validate?: PayloadValidator;
}

/** Dispatch key and payload in; `undefined` when the payload conforms, else what is wrong and where. */
export type PayloadValidator = (key: string, data: unknown) => string | undefined;

export function defineProvider<Events extends object, AnyPayload = unknown>(spec: RuntimeSpec, validate?: PayloadValidator): Provider<Events, AnyPayload> {
  return validate ? { id: spec.id, spec, validate } : { id: spec.id, spec };
}

export type EventMapOf<P> = P extends Provider<infer E, unknown> ? E : never;
export type EventKey<P> = Extract<keyof EventMapOf<P>, string>;
export type AnyPayloadOf<P> = P extends Provider<object, infer A> ? A : unknown;

/** An event as `on(key)` hands it over: `payload` typed by the event map. */
export interface TypedEvent<K extends string, Payload> extends WebhookEvent<string, Payload> {
  key: K;
}

export type EventFor<P, K extends EventKey<P>> = TypedEvent<K, EventMapOf<P>[K]>;
export type AnyEventFor<P> = TypedEvent<string, AnyPayloadOf<P>>;
export type { RuntimeSpec } from './spec/types.js';
