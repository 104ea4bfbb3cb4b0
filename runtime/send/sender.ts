// The spec module, not the generated index: the index imports the runtime entry, which exports this file.
import { spec as standardWebhooksSpec } from '../../generated/standard-webhooks/spec.js';
import { defineProvider, type EventKey, type EventMapOf, type Provider } from '../provider.js';
import type { EnvelopeName } from '../spec/types.js';
import { newId } from '../store/ids.js';
import type { PublishInput, PublishResult, ReplayQuery, Store } from '../store/types.js';
import { HttpPoster } from './http.js';
import { RetryPolicy, type RetryPolicyOptions } from './retry-policy.js';
import { createSigner, signatureKinds } from './signer.js';
import type { AddressPolicy } from './ssrf.js';
import { createSubscriptions, type Subscriptions } from './subscriptions.js';
import { createWorker, type Clock, type EndpointDisabledEvent, type Worker, type WorkerOptions } from './worker.js';

/** A sender with no spec: any event name, any payload. */
export type UntypedProvider = Provider<Record<string, unknown>, unknown>;

export interface SenderOptions<P extends Provider<object, unknown> = UntypedProvider> extends RetryPolicyOptions, AddressPolicy {
  store: Store;
  /**
   * Your own provider spec describing the events you send: types `publish` and refuses unknown event
   * names. Generated with `validators: true`, it also refuses data that does not match the event's
   * JSON Schema (`PublishError`: "data/amount: must be number"), with no schema library at run time.
   */
  spec?: P;
  /**
   * The provider whose signing scheme signs requests (default: Standard Webhooks). The request then
   * carries what that provider's receivers read besides the signature: its delivery id header, its
   * event name header (GitHub's `X-GitHub-Event`), and by default a body of its shape (see `envelope`).
   */
  signing?: Provider<object, unknown>;
  /**
   * Builds the body from the event. Default: the signing provider's shape (`envelopes`): Stripe's
   * event object, ASP.NET's `{ Id, Attempt, Notifications }`, the data itself for providers that name
   * the event in a header (GitHub), else Standard Webhooks' `{ type, timestamp, data }`.
   */
  envelope?: Envelope;
  /** Request timeout, in ms (default 15 s). */
  timeoutMs?: number;
  /** Endpoints answering nothing but failures for this long are disabled (default 5 days, as Svix). */
  disableAfterMs?: number;
  onEndpointDisabled?: (event: EndpointDisabledEvent) => unknown;
  /** Failures outside a delivery (the store unreachable…); deliveries recover through their leases. */
  onError?: (error: unknown) => unknown;
  clock?: Clock;
  userAgent?: string;
}

export interface PublishOptions {
  /** A second publish with the same key (per tenant) returns the first message and sends nothing. */
  idempotencyKey?: string;
  tenant?: string;
}

/**
 * One event of `publishMany`: what `publish` takes, in one object. A union with one member per event of
 * the spec, so each element's `data` is checked against its own `type` (a batch may mix events).
 */
export type PublishEvent<P extends Provider<object, unknown> = UntypedProvider> = {
  [K in EventKey<P>]: { type: K; data: EventMapOf<P>[K]; idempotencyKey?: string; tenant?: string };
}[EventKey<P>];

export interface Sender<P extends Provider<object, unknown> = UntypedProvider> {
  readonly store: Store;
  readonly subscriptions: Subscriptions;
  /** Stores the message and its deliveries in one transaction; once it returns, a crash loses nothing. */
  publish<K extends EventKey<P>>(type: K, data: EventMapOf<P>[K], options?: PublishOptions): Promise<PublishResult>;
  /**
   * Publishes several events in one transaction (all of them with their deliveries, or none), much
   * faster than as many `publish` calls. Each event is checked as `publish` checks it before anything
   * is written: one refused refuses the batch (`PublishError` whose `index` names it). Results come in
   * order; idempotency keys work as in `publish`, and a key repeated in the batch is a duplicate of its first use.
   */
  publishMany(events: readonly PublishEvent<P>[]): Promise<PublishResult[]>;
  worker(options?: WorkerOptions): Worker;
  /** Sends deliveries again: some by id, or every delivery that failed since a time. Returns how many. */
  replay(query: ReplayQuery): Promise<number>;
  /** Retention: forgets finished deliveries, their attempts and their messages older than `olderThanMs`. */
  prune(olderThanMs: number): Promise<{ deliveries: number; attempts: number; messages: number }>;
}

export class PublishError extends Error {
  /** From `publishMany`: the position of the refused event in the batch (the whole batch was refused). */
  readonly index?: number;
  constructor(message: string, index?: number) {
    super(index === undefined ? message : `events[${index}]: ${message}`);
    if (index !== undefined) this.index = index;
  }
}

/** Makes the body sent for an event; `id` is the message id (the delivery id receivers dedupe on). */
export type Envelope = (type: string, data: unknown, meta: { id: string; timestamp: Date }) => unknown;

/** The bodies providers send, for `envelope` (and chosen by default from `signing`). */
export const envelopes = {
  /** Standard Webhooks' recommended payload: `{ type, timestamp, data }`. */
  standardWebhooks: ((type, data, meta) => ({ type, timestamp: meta.timestamp.toISOString(), data })) satisfies Envelope,
  /** The data is the body: for providers whose event name travels in a header (GitHub's `X-GitHub-Event`). */
  data: ((_type, data) => data) satisfies Envelope,
  /**
   * A Stripe event: `data` is the API object it is about (a PaymentIntent…), sent as `data.object`; the
   * event id is `evt_` + the message id's unique part, so Stripe receivers dedupe on it. `livemode` is
   * false and `api_version` null: a sender is never Stripe's live API.
   */
  stripe: ((type, data, meta) => ({
    id: `evt_${meta.id.replace(/^msg_/, '')}`,
    object: 'event',
    api_version: null,
    created: Math.floor(meta.timestamp.getTime() / 1000),
    data: { object: data },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  })) satisfies Envelope,
  /**
   * ASP.NET WebHooks (Microsoft.AspNet.WebHooks.Custom): one notification whose `Action` is the event
   * name, with the data's properties beside it (a non-object is sent as `Data`). `Attempt` stays 1: the
   * body is written once at publish, so every retry sends the same bytes, and `Id` (the message id) is
   * what receivers dedupe on. `Properties`, per registration in ASP.NET, is left out: subscribers share one body.
   */
  aspnet: ((type, data, meta) => ({
    Id: meta.id,
    Attempt: 1,
    // `Action` first, as ASP.NET writes it, and the published type even if the data has an `Action` of its own.
    Notifications: [Object.assign({ Action: type }, data !== null && typeof data === 'object' && !Array.isArray(data) ? data : { Data: data }, { Action: type })],
  })) satisfies Envelope,
};

const NAMED_ENVELOPES: Record<EnvelopeName, Envelope> = {
  'standard-webhooks': envelopes.standardWebhooks,
  data: envelopes.data,
  stripe: envelopes.stripe,
  aspnet: envelopes.aspnet,
};

/** The body a provider's receivers expect, when the user gives no `envelope`: the one its spec names. */
function defaultEnvelope(signing: Provider<object, unknown> | undefined): Envelope {
  if (!signing) return envelopes.standardWebhooks;
  if (signing.spec.envelope) return NAMED_ENVELOPES[signing.spec.envelope];
  // Unnamed, and the name in a header (GitHub, Bitbucket…): the body is the event's own document.
  const headerNamed = signing.spec.event.name.length > 0 && signing.spec.event.name.every((c) => /^\{header:[^}]+\}$/.test(c.value));
  return headerNamed ? envelopes.data : envelopes.standardWebhooks;
}

/**
 * The sending side: subscriptions, durable publish (the delivery rows are the queue) and workers.
 * Created from your own spec, `publish` is typed by its event map: `createSender({ store, spec: myEvents })`.
 */
export function createSender<P extends Provider<object, unknown> = UntypedProvider>(options: SenderOptions<P>): Sender<P> {
  const { store } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const known = options.spec && options.spec.spec.events.length > 0 ? new Set(options.spec.spec.events) : undefined;
  const envelope = options.envelope ?? defaultEnvelope(options.signing);
  const signing = options.signing ?? defineProvider(standardWebhooksSpec);
  const sign = createSigner(signing);
  const validate = options.spec?.validate;
  const retry = new RetryPolicy(options);
  const timeoutMs = options.timeoutMs ?? 15_000;
  // Every outbound request, the registration check included, goes through the same SSRF guard.
  const newHttp = (connectionsPerOrigin: number) =>
    new HttpPoster({
      timeoutMs, userAgent: options.userAgent,
      blockPrivateAddresses: options.blockPrivateAddresses, allowPrivateAddresses: options.allowPrivateAddresses,
      connectionsPerOrigin,
    });
  let registrationHttp: HttpPoster | undefined;

  /**
   * One event's checks and stored form, shared by `publish` and `publishMany` (`index`: its place in
   * a batch, named in the error). Throws before anything is written, so a refused batch writes nothing.
   */
  const prepare = (event: { type: string; data: unknown; idempotencyKey?: string; tenant?: string }, now: number, index?: number): PublishInput => {
    const { type, data } = event;
    if (known && !known.has(type)) throw new PublishError(`\`${type}\` is not an event of ${options.spec!.spec.name}`, index);
    if (typeof type !== 'string' || !/^[A-Za-z0-9_.:-]+$/.test(type)) throw new PublishError(`event type \`${String(type)}\`: use letters, digits, _ - : and dots`, index);
    const problem = validate?.(type, data);
    if (problem !== undefined) throw new PublishError(`\`${type}\` does not match its schema in ${options.spec!.spec.name}: ${problem}`, index);
    const id = newId('msg', now);
    const body = envelope(type, data, { id, timestamp: new Date(now) });
    return {
      id, tenant: event.tenant ?? '', eventType: type, now,
      payload: typeof body === 'string' ? body : JSON.stringify(body),
      idempotencyKey: event.idempotencyKey ?? null,
    };
  };

  return {
    store,
    subscriptions: createSubscriptions(store, clock, () => (registrationHttp ??= newHttp(8)), { supported: signatureKinds(signing), provider: signing.spec.name }),
    async publish(type, data, publishOptions = {}) {
      return store.publish(prepare({ type, data, idempotencyKey: publishOptions.idempotencyKey, tenant: publishOptions.tenant }, clock.now()));
    },
    async publishMany(events) {
      // One time for the batch: its messages are written together, at the same instant.
      const now = clock.now();
      return store.publishMany(events.map((event, index) => prepare(event, now, index)));
    },
    replay: (query) => store.replay(query, clock.now()),
    prune: (olderThanMs) => store.prune(clock.now() - olderThanMs),
    worker(workerOptions) {
      const http = newHttp(workerOptions?.perEndpointConcurrency ?? 8);
      return createWorker({
        store, clock, http, sign, retry, timeoutMs,
        disableAfterMs: options.disableAfterMs ?? 5 * 24 * 3600_000,
        onEndpointDisabled: options.onEndpointDisabled, onError: options.onError,
      }, workerOptions);
    },
  };
}
