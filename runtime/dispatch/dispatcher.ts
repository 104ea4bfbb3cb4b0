import type { WebhookEvent } from '../verify/event.js';

export type Handler = (event: WebhookEvent) => unknown;

/** Thrown when handlers fail: every failure, with the event they failed on. */
export class WebhookHandlerError extends AggregateError {
  readonly event: WebhookEvent;
  readonly status = 500;

  constructor(event: WebhookEvent, errors: unknown[]) {
    const first = errors[0] instanceof Error ? errors[0].message : String(errors[0]);
    super(errors, `${errors.length} handler(s) failed on ${event.provider} event \`${event.key}\`${event.id ? ` (${event.id})` : ''}: ${first}`);
    this.name = 'WebhookHandlerError';
    this.event = event;
  }
}

/**
 * Handlers by dispatch key. An event runs the handlers of `name.action`, of `name`, and of any event,
 * all at once; it fails when any of them fails, after all have finished.
 */
export class Dispatcher {
  private readonly handlers = new Map<string, Handler[]>();
  private readonly anyHandlers: Handler[] = [];
  private readonly errorHandlers: Array<(error: WebhookHandlerError) => unknown> = [];

  on(keys: string | readonly string[], handler: Handler): void {
    for (const key of typeof keys === 'string' ? [keys] : keys) {
      const list = this.handlers.get(key);
      if (list) list.push(handler);
      else this.handlers.set(key, [handler]);
    }
  }

  onAny(handler: Handler): void {
    this.anyHandlers.push(handler);
  }

  onError(handler: (error: WebhookHandlerError) => unknown): void {
    this.errorHandlers.push(handler);
  }

  async dispatch(event: WebhookEvent): Promise<void> {
    const run: Handler[] = [];
    if (event.key !== event.name) run.push(...(this.handlers.get(event.key) ?? []));
    run.push(...(this.handlers.get(event.name) ?? []), ...this.anyHandlers);
    if (run.length === 0) return;
    const results = await Promise.allSettled(run.map(async (handler) => handler(event)));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    if (errors.length === 0) return;
    const error = new WebhookHandlerError(event, errors);
    for (const onError of this.errorHandlers) {
      try {
        await onError(error);
      } catch (secondary) {
        console.error('[hookgen] an onError handler threw:', secondary);
      }
    }
    throw error;
  }
}
