// The spec module, not the generated index: the index imports the runtime entry, which exports this file.
import { spec as standardWebhooksSpec } from '../../generated/standard-webhooks/spec.js';
import { defineProvider, type EventKey, type EventMapOf, type Provider } from '../provider.js';
import { newId } from '../store/ids.js';
import type { PublishResult, ReplayQuery, Store } from '../store/types.js';
import { HttpPoster } from './http.js';
import { RetryPolicy, type RetryPolicyOptions } from './retry-policy.js';
import { createSigner } from './signer.js';
import type { AddressPolicy } from './ssrf.js';
import { createSubscriptions, type Subscriptions } from './subscriptions.js';
import { createWorker, type Clock, type EndpointDisabledEvent, type Worker, type WorkerOptions } from './worker.js';

/** A sender with no spec: any event name, any payload. */
export type UntypedProvider = Provider<Record<string, unknown>, unknown>;

export interface SenderOptions<P extends Provider<object, unknown> = UntypedProvider> extends RetryPolicyOptions, AddressPolicy {
  store: Store;
  /** Your own provider spec describing the events you send: types `publish` and refuses unknown event names. */
  spec?: P;
  /** The provider whose signing scheme signs requests (default: Standard Webhooks). */
  signing?: Provider<object, unknown>;
  /** Builds the body from the event (default: Standard Webhooks' `{ type, timestamp, data }`). */
  envelope?: (type: string, data: unknown, meta: { id: string; timestamp: Date }) => unknown;
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

export interface Sender<P extends Provider<object, unknown> = UntypedProvider> {
  readonly store: Store;
  readonly subscriptions: Subscriptions;
  /** Stores the message and its deliveries in one transaction; once it returns, a crash loses nothing. */
  publish<K extends EventKey<P>>(type: K, data: EventMapOf<P>[K], options?: PublishOptions): Promise<PublishResult>;
  worker(options?: WorkerOptions): Worker;
  /** Sends deliveries again: some by id, or every delivery that failed since a time. Returns how many. */
  replay(query: ReplayQuery): Promise<number>;
  /** Retention: forgets finished deliveries, their attempts and their messages older than `olderThanMs`. */
  prune(olderThanMs: number): Promise<{ deliveries: number; attempts: number; messages: number }>;
}

export class PublishError extends Error {}

const standardEnvelope = (type: string, data: unknown, meta: { timestamp: Date }) => ({ type, timestamp: meta.timestamp.toISOString(), data });

/**
 * The sending side: subscriptions, durable publish (the delivery rows are the queue) and workers.
 * Created from your own spec, `publish` is typed by its event map: `createSender({ store, spec: myEvents })`.
 */
export function createSender<P extends Provider<object, unknown> = UntypedProvider>(options: SenderOptions<P>): Sender<P> {
  const { store } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const known = options.spec && options.spec.spec.events.length > 0 ? new Set(options.spec.spec.events) : undefined;
  const envelope = options.envelope ?? standardEnvelope;
  const sign = createSigner(options.signing ?? defineProvider(standardWebhooksSpec));
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

  return {
    store,
    subscriptions: createSubscriptions(store, clock, () => (registrationHttp ??= newHttp(8))),
    async publish(type, data, publishOptions = {}) {
      if (known && !known.has(type)) throw new PublishError(`\`${type}\` is not an event of ${options.spec!.spec.name}`);
      if (!/^[A-Za-z0-9_.:-]+$/.test(type)) throw new PublishError(`event type \`${type}\`: use letters, digits, _ - : and dots`);
      const now = clock.now();
      const id = newId('msg', now);
      const body = envelope(type, data, { id, timestamp: new Date(now) });
      return store.publish({
        id, tenant: publishOptions.tenant ?? '', eventType: type, now,
        payload: typeof body === 'string' ? body : JSON.stringify(body),
        idempotencyKey: publishOptions.idempotencyKey ?? null,
      });
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
