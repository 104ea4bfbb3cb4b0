import { Flags } from '@oclif/core';
import { HookgenCommand } from '../shared/command.js';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReceiver, type WebhookEvent } from '../../runtime/index.js';
import { resolveProvider, splitConfig } from '../shared/providers.js';
import { style } from '../shared/style.js';

/** One line of `--json` output: the server's address first, then one line per request. */
export type ListenLine =
  | { type: 'listening'; provider: string; url: string }
  | { type: 'event'; verified: true; provider: string; event: string; name: string; action?: string; id?: string; method: string; path: string; status: number; payload: unknown }
  | { type: 'handshake'; verified: boolean; provider: string; handshake: string; method: string; path: string; status: number }
  | { type: 'rejected'; verified: false; provider: string; authenticated: boolean; reason: string; message: string; method: string; path: string; status: number }
  | { type: 'stopped'; received: number };

export default class Listen extends HookgenCommand {
  static override summary = 'Run a local receiver that verifies what arrives and prints each event.';
  static override description =
    'A node:http server for one provider, on any path: every request is verified as the receiver in your app would (signature, timestamp, handshakes) ' +
    'and answered the same way; each one is printed with its event name and delivery id, or the reason it was refused. ' +
    'Point a tunnel (ngrok, cloudflared) at it to develop against a provider, or send it `hookgen trigger`. ' +
    'With --json, one JSON object a line: `listening` first (with the URL), then one per request. Stops on Ctrl-C (SIGINT) or SIGTERM.';
  static override examples = [
    '<%= config.bin %> listen --provider github --secret "$GITHUB_WEBHOOK_SECRET" --port 3000',
    '<%= config.bin %> listen --provider trello --secret s3cret --config callbackUrl=https://abc.ngrok.app/webhooks/trello',
    '<%= config.bin %> listen --provider ./acme/provider.yaml --secret acme-example-secret --port 0 --json',
  ];
  static override flags = {
    provider: Flags.string({ char: 'p', required: true, description: 'Built-in provider id, or a path to a provider.yaml.' }),
    port: Flags.integer({ description: 'Port to listen on (0: any free port; the URL is printed).', default: 3000 }),
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    secret: Flags.string({ char: 's', multiple: true, description: "The provider's primary credential (its signing secret); repeat for a rotation.", env: 'HOOKGEN_SECRET' }),
    config: Flags.string({ char: 'c', multiple: true, default: [], description: 'Another credential or setting, name=value (see `hookgen list`).' }),
    payload: Flags.boolean({ description: 'Also print each verified payload (always included with --json).' }),
    json: Flags.boolean({ description: 'Print one JSON object a line.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Listen);
    const usage = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (error) {
        this.error(error instanceof Error ? error.message : String(error), { exit: 2 });
      }
    };
    const provider = await resolveProvider(flags.provider).catch((error: Error) => this.error(error.message, { exit: 2 }));
    const { credentials, config } = usage(() => splitConfig(provider, flags.config));
    const receiver = usage(() => createReceiver(provider, { secret: flags.secret?.length ? flags.secret : undefined, credentials, config, dedup: false }));
    const out = (line: ListenLine, text: string) => process.stdout.write(`${flags.json ? JSON.stringify(line) : text}\n`);
    let received = 0;

    const server = createServer(async (req, res) => {
      received++;
      const body = await readBody(req);
      const request = { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers as Record<string, string | string[]>, body };
      const [result, answer] = await Promise.all([receiver.verify(request), receiver.handle(request)]);
      res.writeHead(answer.status, answer.headers).end(answer.body);
      const at = { method: request.method, path: request.url, status: answer.status };
      const time = style.dim(new Date().toISOString().slice(11, 19));
      if (!result.ok) {
        const text = `${time} ${style.bad('rejected')} ${request.method} ${request.url} → ${answer.status} ${result.reason}${result.authenticated ? ' (signature valid)' : ''}: ${result.message}`;
        out({ type: 'rejected', verified: false, provider: provider.id, authenticated: result.authenticated, reason: result.reason, message: result.message, ...at }, text);
      } else if (result.kind === 'handshake') {
        out({ type: 'handshake', verified: result.authenticated, provider: provider.id, handshake: result.handshake, ...at }, `${time} ${style.ok('handshake')} ${result.handshake} ${request.method} ${request.url} → ${answer.status}`);
      } else {
        const events: WebhookEvent[] = result.kind === 'events' ? [...result.events] : [result.event];
        for (const e of events) {
          const text = `${time} ${style.ok('verified')} ${style.bold(e.key)}${e.id ? ` ${style.dim(`id ${e.id}`)}` : ''} ${request.method} ${request.url} → ${answer.status}` + (flags.payload ? `\n${JSON.stringify(e.payload, null, 2)}` : '');
          out({ type: 'event', verified: true, provider: provider.id, event: e.key, name: e.name, ...(e.action ? { action: e.action } : {}), ...(e.id ? { id: e.id } : {}), ...at, payload: e.payload }, text);
        }
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(flags.port, flags.host, () => resolve());
    }).catch((error: Error) => this.error(`cannot listen on ${flags.host}:${flags.port}: ${error.message}`, { exit: 2 }));
    const { port } = server.address() as AddressInfo;
    const url = `http://${flags.host.includes(':') ? `[${flags.host}]` : flags.host}:${port}/`;
    out({ type: 'listening', provider: provider.id, url }, `Listening for ${style.bold(provider.spec.name)} webhooks on ${url} (any path). Ctrl-C stops.`);

    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.closeAllConnections();
        server.close(() => resolve());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    out({ type: 'stopped', received }, `Stopped after ${received} request(s).`);
  }
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
