import { Flags } from '@oclif/core';
import { HookgenCommand } from '../shared/command.js';
import { readFileSync } from 'node:fs';
import { createReceiver, type ReceiverResult, type WebhookEvent } from '../../runtime/index.js';
import { resolveProvider, splitConfig } from '../shared/providers.js';
import { style } from '../shared/style.js';
import { parseRawHttpRequest } from '../shared/raw-http.js';

interface RequestFile {
  method?: string;
  url?: string;
  headers: Record<string, string | string[]>;
  body?: string;
  bodyBase64?: string;
}

interface EventSummary {
  event: string;
  name: string;
  action?: string;
  id?: string;
  payload: unknown;
}

export type VerifyOutput =
  /** One event: its fields at the top; a fanned-out request lists them in `events`. */
  | ({ result: 'accepted'; provider: string; scheme?: string; events: EventSummary[] } & Partial<EventSummary>)
  | { result: 'handshake'; provider: string; handshake: string; status: number; body: string }
  | { result: 'refused'; provider: string; authenticated: boolean; reason: string; status: number; message: string };

export default class Verify extends HookgenCommand {
  static override summary = 'Verify a captured webhook request as a provider\'s receiver would.';
  static override description =
    'Exit 0: accepted (or a handshake answered). Exit 1: refused, the signature is not valid (forged, wrong secret, tampered). ' +
    'Exit 3: the signature is valid but the receiver would still refuse the request (stale timestamp, a body that is not an event). Exit 2: usage or configuration error.\n\n' +
    'The request file is JSON: { "method", "url", "headers": { name: value }, "body": "<text>" } or "bodyBase64" instead of "body"; ' +
    'or a captured raw HTTP request (request line, headers, blank line, body) as a proxy or `nc -l` saves it.';
  static override examples = [
    '<%= config.bin %> verify --provider github --secret "$GITHUB_WEBHOOK_SECRET" --request delivery.json',
    '<%= config.bin %> verify --provider stripe --secret whsec_... --request event.json --now 1764388830 --json',
    '<%= config.bin %> verify --provider standard-webhooks --config publicKey=whpk_... --request msg.json',
    '<%= config.bin %> verify --provider ./acme/provider.yaml --secret s3cret --request captured.json',
    '<%= config.bin %> verify --provider trello --secret "$TRELLO_API_SECRET" --config callbackUrl=https://example.com/hooks --request captured.http',
    '<%= config.bin %> verify --provider pusher --secret app-key-1=secret1 --secret app-key-2=secret2 --request batch.json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    provider: Flags.string({ char: 'p', required: true, description: 'Built-in provider id, or a path to a provider.yaml.' }),
    secret: Flags.string({
      char: 's',
      multiple: true,
      description: "The provider's primary credential (its signing secret). Repeat it for a rotation, or for providers that pick the secret by key id (Pusher: --secret appKey=appSecret).",
      env: 'HOOKGEN_SECRET',
    }),
    config: Flags.string({ char: 'c', multiple: true, default: [], description: 'Another credential or setting, name=value (see `hookgen list`).' }),
    request: Flags.string({ char: 'r', required: true, description: 'The request file: JSON, or a raw HTTP request as captured.' }),
    now: Flags.integer({ description: 'Verify as of this time (unix seconds), for captured requests.' }),
  };

  async run(): Promise<VerifyOutput> {
    const { flags } = await this.parse(Verify);
    const provider = await this.usage(() => resolveProvider(flags.provider));
    const request = this.usageSync(() => readRequest(flags.request));
    const { credentials, config } = this.usageSync(() => splitConfig(provider, flags.config));
    const now = flags.now;
    const receiver = this.usageSync(() =>
      createReceiver(provider, { secret: flags.secret?.length ? flags.secret : undefined, credentials, config, dedup: false, ...(now === undefined ? {} : { now: () => now * 1000 }) }),
    );
    const output = describe(provider.id, await receiver.verify(request));
    this.print(output);
    // Set, not thrown: with --json oclif prints the returned value, and the exit code still tells scripts.
    if (output.result === 'refused') process.exitCode = output.authenticated ? 3 : 1;
    return output;
  }

  private print(output: VerifyOutput): void {
    switch (output.result) {
      case 'accepted':
        if (output.events.length === 0) this.log(`${style.ok('accepted')} ${output.provider}: a batch with no events`);
        for (const e of output.events) {
          this.log(`${style.ok('accepted')} ${output.provider} ${style.bold(e.event)}${e.id ? ` delivery ${e.id}` : ''} ${style.dim(`(scheme ${output.scheme})`)}`);
        }
        break;
      case 'handshake':
        this.log(`${style.ok('handshake')} ${output.provider} ${output.handshake}: answered ${output.status} ${JSON.stringify(output.body)}`);
        break;
      case 'refused':
        if (output.authenticated) {
          const detail = output.message.replace(/^signature valid, but /, '');
          this.log(`${style.warn('signature valid')}, but refused: ${output.reason} (${output.status}): ${detail}`);
        }
        else this.log(`${style.bad('rejected')}: ${output.reason} (${output.status}): ${output.message}`);
    }
  }

  private usageSync<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.error(error instanceof Error ? error.message : String(error), { exit: 2 });
    }
  }

  private async usage<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.error(error instanceof Error ? error.message : String(error), { exit: 2 });
    }
  }
}

function describe(provider: string, result: ReceiverResult<unknown>): VerifyOutput {
  if (!result.ok) return { result: 'refused', provider, authenticated: result.authenticated, reason: result.reason, status: result.status, message: result.message };
  if (result.kind === 'handshake') return { result: 'handshake', provider, handshake: result.handshake, status: result.response.status, body: result.response.body };
  const summary = (e: WebhookEvent): EventSummary => ({ event: e.key, name: e.name, ...(e.action ? { action: e.action } : {}), ...(e.id ? { id: e.id } : {}), payload: e.payload });
  if (result.kind === 'events') return { result: 'accepted', provider, scheme: result.events[0]?.scheme, events: result.events.map(summary) };
  return { result: 'accepted', provider, scheme: result.event.scheme, ...summary(result.event), events: [summary(result.event)] };
}

export function readRequest(file: string): { method: string; url: string; headers: Record<string, string | string[]>; body: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read the request file ${file}: ${(error as Error).message}`);
  }
  // Not JSON: a captured raw HTTP request (request line, headers, blank line, body).
  if (!bytes.toString('utf8', 0, Math.min(bytes.length, 64)).trimStart().startsWith('{')) return parseRawHttpRequest(bytes, file);
  let parsed: RequestFile;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as RequestFile;
  } catch (error) {
    throw new Error(`cannot read the request file ${file}: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || typeof parsed.headers !== 'object') throw new Error(`${file}: expected { "method", "url", "headers", "body" | "bodyBase64" }`);
  if ((parsed.body === undefined) === (parsed.bodyBase64 === undefined)) throw new Error(`${file}: give exactly one of "body" and "bodyBase64"`);
  const body = parsed.bodyBase64 !== undefined ? Buffer.from(parsed.bodyBase64, 'base64') : Buffer.from(parsed.body!, 'utf8');
  return { method: parsed.method ?? 'POST', url: parsed.url ?? '/', headers: parsed.headers, body };
}

