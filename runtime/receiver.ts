import { Dispatcher, WebhookHandlerError } from './dispatch/dispatcher.js';
import { memoryDedupStore, type DedupStore } from './dispatch/dedup.js';
import type { AnyEventFor, EventFor, EventKey, Provider } from './provider.js';
import { WebhookVerificationError, type Rejection } from './verify/errors.js';
import type { WebhookResponse } from './verify/handshake.js';
import type { WebhookRequest } from './verify/request.js';
import { compileVerifier, type Accepted, type HandshakeAnswer, type VerifierOptions } from './verify/verifier.js';
import type { WebhookEvent } from './verify/event.js';
import { createFetchHandler } from './adapters/fetch.js';
import { JSON_HEADERS, compileRejection } from './receiver-response.js';
import { createNodeHandler, type NodeHandler } from './adapters/node.js';

export interface ReceiverOptions extends VerifierOptions {
  /** Where delivery ids are remembered (default: an in-memory LRU); `false` turns deduplication off. */
  dedup?: DedupStore | false;
  /** How long the fetch and node handlers wait for a body to arrive, in ms (default 30 s); then 408. */
  bodyTimeoutMs?: number;
  /**
   * Answer the provider after this many ms even if handlers are still running (GitHub waits 10 s,
   * Slack 3 s): they go on after the answer, and their failures still reach onError. Without it,
   * the answer waits for the handlers, and a failure answers 500 so the provider retries.
   */
  respondWithinMs?: number;
}

export type ReceiverResult<P> = Accepted<AnyEventFor<P>> | HandshakeAnswer | Rejection;

export interface Receiver<P extends Provider<object, unknown>> {
  readonly provider: P;
  /** Verifies a request: the event, a handshake's answer, or why it was refused. Never throws for bad input. */
  verify(request: WebhookRequest): Promise<ReceiverResult<P>>;
  /** Like `verify`, but throws `WebhookVerificationError` on refusal. Handshakes are refused too. */
  verifyOrThrow(request: WebhookRequest): Promise<AnyEventFor<P>>;
  on<K extends EventKey<P>>(key: K | readonly K[], handler: (event: EventFor<P, K>) => unknown): Receiver<P>;
  onAny(handler: (event: AnyEventFor<P>) => unknown): Receiver<P>;
  onError(handler: (error: WebhookHandlerError) => unknown): Receiver<P>;
  /** Runs the handlers of verified events (one, or a fanned-out batch), once per delivery id. */
  receive(events: WebhookEvent | readonly WebhookEvent[]): Promise<{ duplicate: boolean }>;
  /** Verify, answer handshakes, deduplicate and dispatch: what every adapter calls. */
  handle(request: WebhookRequest): Promise<WebhookResponse>;
  /** Web-standard handler: `(Request) => Promise<Response>` (Next.js, Hono, Bun, Deno, Workers). */
  fetch: (request: Request) => Promise<Response>;
  /** node:http / Express / Connect handler. */
  node: NodeHandler;
}


/**
 * A typed receiver for one provider. The spec is compiled once here; `verify` then runs closures only.
 *
 *     const receiver = createReceiver(github, { secret: process.env.GITHUB_WEBHOOK_SECRET })
 *       .on('issues.opened', (event) => console.log(event.payload.issue.number));
 *     http.createServer(receiver.node).listen(3000);
 */
export function createReceiver<P extends Provider<object, unknown>>(provider: P, options: ReceiverOptions): Receiver<P> {
  const verifier = compileVerifier(provider.spec, options);
  const dispatcher = new Dispatcher();
  const dedup = options.dedup === false ? undefined : (options.dedup ?? memoryDedupStore());
  const adapterOptions = { maxBodyBytes: options.maxBodyBytes, bodyTimeoutMs: options.bodyTimeoutMs };

  /**
   * Runs the handlers of verified events, once per delivery id: an id already handled is skipped.
   * Events of one request that share an id (a fanned-out batch) are claimed together. When a handler
   * fails, the ids are released so the provider's retry runs them again.
   */
  const receive = async (input: WebhookEvent | readonly WebhookEvent[]): Promise<{ duplicate: boolean }> => {
    const events = Array.isArray(input) ? (input as readonly WebhookEvent[]) : [input as WebhookEvent];
    const claimed: string[] = [];
    const run: WebhookEvent[] = [];
    const decided = new Map<string, boolean>();
    for (const event of events) {
      const key = event.id && dedup ? `${event.provider}:${event.id}` : undefined;
      if (key === undefined) {
        run.push(event);
        continue;
      }
      if (!decided.has(key)) {
        const fresh = await dedup!.claim(key);
        decided.set(key, fresh);
        if (fresh) claimed.push(key);
      }
      if (decided.get(key)) run.push(event);
    }
    if (run.length === 0 && events.length > 0) return { duplicate: true };
    // Every event's handlers finish before the answer, so a retry never overlaps a running one.
    const outcomes = await Promise.allSettled(run.map((event) => dispatcher.dispatch(event)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) {
      for (const key of claimed) await dedup!.release(key);
      throw failed.reason;
    }
    return { duplicate: false };
  };

  const rejectionAnswer = compileRejection(provider.spec);

  const receiver: Receiver<P> = {
    provider,
    verify: (request) => Promise.resolve(verifier(request) as ReceiverResult<P>),
    async verifyOrThrow(request) {
      const result = await verifier(request);
      if (!result.ok) throw new WebhookVerificationError(result);
      if (result.kind === 'handshake') {
        const message = `a \`${result.handshake}\` handshake, not an event: answer it with handle() or the fetch/node handlers`;
        throw new WebhookVerificationError({ ok: false, reason: 'missing_event_name', status: 400, authenticated: result.authenticated, message });
      }
      if (result.kind === 'events') {
        const message = `${provider.spec.name} sends several events per request (${result.events.length} here): use verify(), whose result lists them`;
        throw new WebhookVerificationError({ ok: false, reason: 'missing_event_name', status: 400, authenticated: true, message });
      }
      return result.event as AnyEventFor<P>;
    },
    on(key, handler) {
      dispatcher.on(key, handler as (event: WebhookEvent) => unknown);
      return receiver;
    },
    onAny(handler) {
      dispatcher.onAny(handler as (event: WebhookEvent) => unknown);
      return receiver;
    },
    onError(handler) {
      dispatcher.onError(handler);
      return receiver;
    },
    receive,
    async handle(request) {
      const result = await verifier(request);
      if (!result.ok) return rejectionAnswer(result);
      if (result.kind === 'handshake') return result.response;
      try {
        const work = receive(result.kind === 'event' ? result.event : result.events);
        if (options.respondWithinMs !== undefined && (await settlesWithin(work, options.respondWithinMs)) === 'late') {
          // Acknowledged before the handlers finished: a late failure was already reported to onError.
          work.catch((error: unknown) => {
            if (!(error instanceof WebhookHandlerError)) console.error('[hookgen] dispatch failed:', error);
          });
          return result.response;
        }
        await work;
      } catch (error) {
        if (!(error instanceof WebhookHandlerError)) console.error('[hookgen] dispatch failed:', error);
        return { status: 500, headers: JSON_HEADERS, body: JSON.stringify({ error: 'handler_failed', message: 'a handler failed; the error went to onError' }) };
      }
      return result.response;
    },
    fetch: undefined as unknown as Receiver<P>['fetch'],
    node: undefined as unknown as NodeHandler,
  };
  receiver.fetch = createFetchHandler(receiver.handle, adapterOptions);
  receiver.node = createNodeHandler(receiver.handle, adapterOptions);
  return receiver;
}

/** Waits for `work` at most `ms`; never rejects (the caller still holds `work`). */
function settlesWithin(work: Promise<unknown>, ms: number): Promise<'settled' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const settled = work.then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
