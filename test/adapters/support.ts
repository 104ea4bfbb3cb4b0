/**
 * What every adapter test shares: the secrets the docs examples read from the environment, signed
 * deliveries for GitHub, Stripe and Slack (signed by hookgen's signRequest and, where a provider
 * publishes one, by its official SDK), and one conformance suite run against each framework.
 *
 * The examples' typed handlers print one line per event (`GitHub delivery <id>: issue #1 opened`);
 * the suite captures console.log and asserts the exact line appeared exactly once.
 */
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { createReceiver, signRequest } from '../../runtime/index.js';
import { github } from '../../generated/github/index.js';
import { stripe } from '../../generated/stripe/index.js';
import { slack } from '../../generated/slack/index.js';

export const SECRETS = { github: 'adapter-github-secret', stripe: 'whsec_adapter_test_secret', slack: 'adapter-slack-signing-secret' };

/** The environment the docs examples read their secrets from; call before importing one. */
export function useExampleSecrets(): void {
  process.env.GITHUB_WEBHOOK_SECRET = SECRETS.github;
  process.env.STRIPE_WEBHOOK_SECRET = SECRETS.stripe;
  process.env.SLACK_SIGNING_SECRET = SECRETS.slack;
}

/** Lines printed with console.log while this test file runs (silenced). */
export function captureLogs(): string[] {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  afterAll(() => spy.mockRestore());
  return lines;
}

/** The same receivers as the docs examples, for setups the examples do not show (Express 4, parsers first). */
export function exampleReceivers() {
  return {
    github: createReceiver(github, { secret: SECRETS.github }).on('issues.opened', (event) =>
      console.log(`GitHub delivery ${event.id}: issue #${event.payload.issue.number} opened`),
    ),
    stripe: createReceiver(stripe, { secret: SECRETS.stripe }).on('payment_intent.succeeded', (event) =>
      console.log(`Stripe event ${event.id}: ${event.payload.data.object.id} succeeded`),
    ),
    slack: createReceiver(slack, { secret: SECRETS.slack })
      .on('app_mention', (event) => console.log(`Slack event ${event.id}: mentioned in ${event.payload.event.channel}`))
      .on('slash_command', (event) => console.log(`Slack command ${event.payload.command} ${event.payload.text}`)),
  };
}

export const PATHS = { github: '/webhooks/github', stripe: '/webhooks/stripe', slack: '/webhooks/slack' } as const;

// ---------------------------------------------------------------------------------------------
// Signed deliveries

export interface Delivery {
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The line the example's typed handler prints for it, if one runs. */
  line?: string;
}

const example = (path: string) => readFileSync(new URL(`../../schemas/providers/${path}`, import.meta.url), 'utf8');
const issuesOpened = example('github/examples/issues.opened.json');
export const ISSUE_NUMBER = (JSON.parse(issuesOpened) as { issue: { number: number } }).issue.number;
const paymentIntentSucceeded = JSON.parse(example('stripe/examples/payloads/payment_intent.succeeded.json')) as { id: string; data: { object: { id: string } } };
const appMention = JSON.parse(example('slack/examples/requests/app_mention.json')) as { event_id: string; event: { channel: string } };
const stripeSdk = new Stripe('sk_test_adapters');
const unique = () => randomUUID().replaceAll('-', '').slice(0, 16);

export async function githubIssue(signer: 'hookgen' | 'octokit'): Promise<Delivery> {
  const id = randomUUID();
  const line = `GitHub delivery ${id}: issue #${ISSUE_NUMBER} opened`;
  const headers = { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': id };
  if (signer === 'octokit') {
    return { method: 'POST', headers: { ...headers, 'x-hub-signature-256': await octokitSign(SECRETS.github, issuesOpened) }, body: Buffer.from(issuesOpened), line };
  }
  const signed = signRequest(github, { secret: SECRETS.github, body: issuesOpened, id, event: 'issues', headers: { 'content-type': 'application/json' } });
  return { method: 'POST', headers: signed.headers, body: Buffer.from(issuesOpened), line };
}

export function stripePayment(signer: 'hookgen' | 'stripe'): Delivery {
  const payload = structuredClone(paymentIntentSucceeded);
  payload.id = `evt_${unique()}`;
  payload.data.object.id = `pi_${unique()}`;
  const body = JSON.stringify(payload, null, 2);
  const line = `Stripe event ${payload.id}: ${payload.data.object.id} succeeded`;
  const headers = { 'content-type': 'application/json; charset=utf-8' };
  const signature =
    signer === 'stripe'
      ? stripeSdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRETS.stripe })
      : signRequest(stripe, { secret: SECRETS.stripe, body }).headers['stripe-signature']!;
  return { method: 'POST', headers: { ...headers, 'stripe-signature': signature }, body: Buffer.from(body), line };
}

function slackSigned(body: string, contentType: string): Delivery {
  const signed = signRequest(slack, { secret: SECRETS.slack, body, headers: { 'content-type': contentType } });
  return { method: 'POST', headers: signed.headers, body: Buffer.from(body) };
}

export function slackMention(text?: string): Delivery {
  const payload = structuredClone(appMention) as typeof appMention & { event: { text?: string } };
  payload.event_id = `Ev${unique()}`;
  payload.event.channel = `C${unique()}`;
  if (text !== undefined) payload.event.text = text;
  return { ...slackSigned(JSON.stringify(payload), 'application/json'), line: `Slack event ${payload.event_id}: mentioned in ${payload.event.channel}` };
}

export function slackChallenge(): Delivery & { challenge: string } {
  const challenge = unique();
  return { ...slackSigned(JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge, type: 'url_verification' }), 'application/json'), challenge };
}

/** A slash command: a form body, which JSON parsers skip. */
export function slackCommand(): Delivery {
  const text = `deploy ${unique()}`;
  const form = new URLSearchParams({
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: 'T0001',
    team_domain: 'example',
    channel_id: 'C2147483705',
    channel_name: 'test',
    user_id: 'U2147483697',
    user_name: 'Steve',
    command: '/weather',
    text,
    response_url: 'https://hooks.slack.com/commands/1234/5678',
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
  });
  return { ...slackSigned(form.toString(), 'application/x-www-form-urlencoded'), line: `Slack command /weather ${text}` };
}

/** The same delivery with one byte of the body changed: the signature no longer matches. */
export function tampered(delivery: Delivery): Delivery {
  const body = Buffer.from(delivery.body);
  const at = Math.floor(body.length / 2);
  body[at] = body[at]! ^ 0x01;
  return { ...delivery, body, line: undefined };
}

// ---------------------------------------------------------------------------------------------
// The conformance suite

export interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** Sends a delivery to one of the PATHS however the framework under test receives requests. */
export type Send = (path: string, delivery: Delivery) => Promise<Answer>;

/** Over HTTP to a server on loopback. */
export function httpSender(baseUrl: string): Send {
  return async (path, delivery) => {
    const response = await fetch(`${baseUrl}${path}`, { method: delivery.method, headers: delivery.headers, body: new Uint8Array(delivery.body) });
    return { status: response.status, contentType: response.headers.get('content-type') ?? undefined, text: await response.text() };
  };
}

export function runsOnce(logs: string[], line: string | undefined): void {
  expect(line).toBeDefined();
  expect(logs.filter((l) => l === line)).toEqual([line]);
}

/**
 * GitHub, Stripe and Slack through one framework: signed by hookgen and by the SDKs, the typed
 * handler runs exactly once with the right payload; a redelivery runs nothing more; a tampered
 * body is 401 `signature_mismatch` and runs nothing; Slack's url_verification is answered.
 */
export function conformance(name: string, send: Send, logs: string[]): void {
  describe(`${name}: GitHub, Stripe and Slack deliveries`, () => {
    it.each(['hookgen', 'octokit'] as const)('GitHub issues.opened signed by %s: the typed handler runs once with the issue', async (signer) => {
      const delivery = await githubIssue(signer);
      const answer = await send(PATHS.github, delivery);
      expect(answer.status, answer.text).toBe(200);
      runsOnce(logs, delivery.line);
    });

    it('GitHub redelivery of the same delivery id: answered 200, the handler does not run again', async () => {
      const delivery = await githubIssue('hookgen');
      expect((await send(PATHS.github, delivery)).status).toBe(200);
      expect((await send(PATHS.github, delivery)).status).toBe(200);
      runsOnce(logs, delivery.line);
    });

    it.each(['hookgen', 'stripe'] as const)('Stripe payment_intent.succeeded signed by %s: the typed handler runs once with the payment intent', async (signer) => {
      const delivery = stripePayment(signer);
      const answer = await send(PATHS.stripe, delivery);
      expect(answer.status, answer.text).toBe(200);
      runsOnce(logs, delivery.line);
    });

    it('Slack url_verification: the challenge is answered as text, no handler runs', async () => {
      const before = logs.length;
      const delivery = slackChallenge();
      const answer = await send(PATHS.slack, delivery);
      expect(answer).toMatchObject({ status: 200, text: delivery.challenge });
      expect(answer.contentType).toContain('text/plain');
      expect(logs.slice(before).filter((l) => l.startsWith('Slack'))).toEqual([]);
    });

    it('Slack app_mention (JSON) and a slash command (form body): each typed handler runs once', async () => {
      for (const delivery of [slackMention(), slackCommand()]) {
        const answer = await send(PATHS.slack, delivery);
        expect(answer.status, answer.text).toBe(200);
        runsOnce(logs, delivery.line);
      }
    });

    it.each([
      ['GitHub', PATHS.github, () => githubIssue('octokit')],
      ['Stripe', PATHS.stripe, async () => stripePayment('stripe')],
      ['Slack', PATHS.slack, async () => slackMention()],
    ] as const)('%s with one body byte changed: 401 signature_mismatch, no handler runs', async (_provider, path, make) => {
      const genuine = await make();
      const before = logs.length;
      const answer = await send(path, tampered(genuine));
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text)).toMatchObject({ error: 'signature_mismatch' });
      expect(logs.slice(before)).toEqual([]);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Loopback servers

/** Starts a node:http server for `listener` on 127.0.0.1 (port 0), closed after the file's tests. */
export async function loopback(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The installed version of a dev dependency (read from node_modules: not every package exports its package.json). */
export function installed(name: string): string {
  return (JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
}
