import { createManagementHandler, createSender } from '../../runtime/index.js';
import { HookgenCommand } from './command.js';
import { openStore, StoreOpenError } from './store.js';

export interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

/**
 * Commands that manage the sender go through the management API in process, as an administrator:
 * one set of checks and answers for the HTTP API and the CLI. Exit codes: 1 for an unknown id or a
 * conflict (a delivery not finished), 2 for bad input or an unusable store.
 */
export abstract class SendCommand extends HookgenCommand {
  static override enableJsonFlag = true;

  protected async api<T>(store: string | undefined, call: ApiCall, options: { create?: boolean } = {}): Promise<T> {
    const opened = await openStore(store, { create: options.create ?? false }).catch((error: Error) =>
      this.error(error.message, { exit: error instanceof StoreOpenError ? 2 : 1 }),
    );
    let failure: unknown;
    try {
      const handler = createManagementHandler(createSender({ store: opened }), {
        authorize: () => ({}),
        maxBodyBytes: 16 * 1024 * 1024,
        onError: (error) => void (failure = error),
      });
      const url = new URL(`http://localhost${call.path}`);
      for (const [name, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
      const response = await handler(new Request(url, {
        method: call.method,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body), headers: { 'content-type': 'application/json' } }),
      }));
      const text = await response.text();
      const answer = text ? (JSON.parse(text) as unknown) : undefined;
      if (response.ok) return answer as T;
      // The operator runs this against their own store: the real cause is theirs to see.
      if (response.status === 500) this.error(`the store failed: ${failure instanceof Error ? failure.message : String(failure)}`, { exit: 1 });
      const { message } = (answer as { error: { message: string } }).error;
      this.error(message, { exit: response.status === 404 || response.status === 409 ? 1 : 2 });
    } finally {
      await opened.close().catch(() => undefined);
    }
  }

  /** Runs a flag parser, turning its error into a usage error (exit 2). */
  protected usage<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.error(error instanceof Error ? error.message : String(error), { exit: 2 });
    }
  }
}

/** `--header name:value` flags as an object. */
export function parseHeaders(pairs: string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf(':');
    if (at <= 0) throw new Error(`--header takes name:value; got \`${pair}\``);
    headers[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return headers;
}

/** `--metadata '{"team":"billing"}'` as an object. */
export function parseMetadata(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`--metadata takes a JSON object, such as '{"team":"billing"}'`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`--metadata takes a JSON object, such as '{"team":"billing"}'`);
  return value as Record<string, unknown>;
}
