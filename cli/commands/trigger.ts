import { Args, Flags } from '@oclif/core';
import { HookgenCommand } from '../shared/command.js';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { builtInProviders } from '../../generated/index.js';
import { builtInSpecFile } from '../../generator/paths.js';
import { signRequest } from '../../runtime/index.js';
import { examplePayload, splitEvent } from '../shared/examples.js';
import { resolveProvider, splitConfig } from '../shared/providers.js';
import { style } from '../shared/style.js';

export interface TriggerResult {
  provider: string;
  event: string;
  url: string;
  /** Where the payload came from: a file, or `built` (a minimal body). */
  payload: string;
  request: { method: string; headers: Record<string, string>; bytes: number };
  status: number;
  ok: boolean;
  response: { headers: Record<string, string>; body: string };
}

export default class Trigger extends HookgenCommand {
  static override summary = "Send an event's example payload to a URL, signed exactly as the provider signs it.";
  static override description =
    "Takes the event's example payload from the spec (`events.<key>.example`, `examples/payloads/<key>.json`, or an accepted example request of that event), " +
    "or a minimal body carrying the event name when the spec has none, or --payload. Signs it with the spec's scheme run in the signing direction " +
    '(headers, timestamp, delivery id where the provider puts them) and POSTs it. Prints the status and the response. ' +
    'Exit 0: a 2xx answer. Exit 1: another status, or no answer. Exit 2: usage or configuration error.';
  static override examples = [
    '<%= config.bin %> trigger github push --url http://localhost:3000/webhooks/github --secret dev-secret',
    '<%= config.bin %> trigger trello createCard --url http://localhost:3000/webhooks/trello --secret s3cret --config callbackUrl=http://localhost:3000/webhooks/trello',
    '<%= config.bin %> trigger ./acme/provider.yaml item.created --url http://localhost:3000/webhooks/acme --secret acme-example-secret --json',
    '<%= config.bin %> trigger stripe payment_intent.succeeded --url http://localhost:3000/webhooks/stripe --secret whsec_... --payload my-event.json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    provider: Args.string({ required: true, description: 'Built-in provider id, or a path to a provider.yaml.' }),
    event: Args.string({ required: true, description: 'The event key, as `on()` takes it (`issues.opened`, `createCard`).' }),
  };
  static override flags = {
    url: Flags.string({ char: 'u', required: true, description: 'Where to POST the signed request.' }),
    secret: Flags.string({ char: 's', description: "The provider's primary credential (its signing secret).", env: 'HOOKGEN_SECRET' }),
    config: Flags.string({ char: 'c', multiple: true, default: [], description: 'Another credential or setting, name=value (see `hookgen list`).' }),
    payload: Flags.string({ char: 'p', description: 'Send this file as the body instead of the example.' }),
    'content-type': Flags.string({ description: 'Content-Type of --payload (default application/json).' }),
    header: Flags.string({ char: 'H', multiple: true, default: [], description: 'Another header to send, name:value.' }),
  };

  async run(): Promise<TriggerResult> {
    const { args, flags } = await this.parse(Trigger);
    const provider = await this.usage(() => resolveProvider(args.provider));
    const { credentials, config } = await this.usage(async () => splitConfig(provider, flags.config));
    const specFile = builtInProviders[args.provider] ? builtInSpecFile(args.provider) : resolve(args.provider);
    const example = flags.payload
      ? { body: await this.usage(async () => readFileSync(flags.payload!)), contentType: flags['content-type'] ?? 'application/json', from: resolve(flags.payload) }
      : examplePayload(provider, existsSync(specFile) ? specFile : undefined, args.event);
    const target = await this.usage(async () => new URL(flags.url));
    const extra: Record<string, string> = {};
    for (const h of flags.header) {
      const at = h.indexOf(':');
      if (at <= 0) this.error(`--header takes name:value; got \`${h}\``, { exit: 2 });
      extra[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
    }
    const signed = await this.usage(async () =>
      signRequest(provider, {
        ...(flags.secret === undefined ? {} : { secret: flags.secret }),
        credentials,
        config,
        body: example.body,
        url: `${target.pathname}${target.search}`,
        headers: { 'content-type': example.contentType, ...extra },
        event: splitEvent(provider, args.event).name,
      }),
    );
    // Schemes that sign with a query parameter put it on the signed URL.
    const sendTo = new URL(signed.url ?? '/', target);
    const method = signed.method ?? 'POST';
    let response: Response;
    try {
      response = await fetch(sendTo, { method, headers: signed.headers, body: method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(example.body), redirect: 'manual' });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      this.error(`no answer from ${sendTo.href}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, { exit: 1 });
    }
    const body = await response.text();
    const result: TriggerResult = {
      provider: provider.id,
      event: args.event,
      url: sendTo.href,
      payload: example.from,
      request: { method, headers: signed.headers, bytes: example.body.length },
      status: response.status,
      ok: response.ok,
      response: { headers: Object.fromEntries(response.headers), body },
    };
    const status = `${response.status} ${response.statusText}`;
    this.log(`${response.ok ? style.ok(status) : style.bad(status)} ${style.bold(`${provider.id} ${args.event}`)} → ${sendTo.href} ${style.dim(`(${example.body.length} bytes from ${example.from === 'built' ? 'a minimal body' : example.from})`)}`);
    if (body) this.log(body);
    if (!response.ok) process.exitCode = 1;
    return result;
  }

  private async usage<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.error(error instanceof Error ? error.message : String(error), { exit: 2 });
    }
  }
}
