import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyKey, verifyWebhookEventMiddleware, WebhookEventType, WebhookType } from 'discord-interactions';
import { parse } from 'yaml';
import { createReceiver, signRequest } from '../runtime/index.js';
import { discordEvents } from '../generated/discord-events/index.js';
import { flipByte } from './support/crosscheck.js';
import { discordSign, exampleKey, expectSignedAsDiscordSigns, publicHexOf } from './support/discord.js';

/**
 * Discord's Webhook Events URL against discord-interactions 4.4.0, in both directions: what
 * node:crypto signs exactly as Discord's docs describe (discord-interactions only verifies) hookgen
 * accepts, and what hookgen signs verifyKey accepts; tampering and other keys are refused by both, and
 * the receiver answers as verifyWebhookEventMiddleware does (204 for a PING and for an event, 401 for a
 * bad signature).
 */

const read = (path: string) => readFileSync(new URL(`../schemas/providers/discord-events/${path}`, import.meta.url));

/** discord-interactions' webhook-event middleware run on a request: its answer, and whether it handed the event on. */
async function middlewareAnswer(publicHex: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string; next: boolean; parsed?: unknown }> {
  const middleware = verifyWebhookEventMiddleware(publicHex);
  const answer = { status: 0, body: '', next: false, parsed: undefined as unknown };
  const res = {
    statusCode: 200,
    setHeader() {},
    end(text?: string) {
      answer.status = this.statusCode;
      answer.body = text ?? '';
    },
  };
  const req: { body: Buffer | unknown; header: (name: string) => string | undefined } = { body, header: (name) => headers[name.toLowerCase()] };
  // with a Buffer body, the returned promise settles once the middleware has answered (and called next)
  await (middleware(req as never, res as never, () => {
    answer.next = true;
    answer.parsed = req.body;
  }) as unknown as Promise<void>);
  return answer;
}

type SpecExample = { name: string; now: number; request: { headers: Record<string, string>; bodyFile: string }; expect: { ok: boolean; reason?: string } };

describe('Discord Webhook Events × discord-interactions 4.4.0', () => {
  const { privateKey, publicHex } = exampleKey();
  const ping = read('examples/requests/ping.json');
  const authorized = read('examples/payloads/APPLICATION_AUTHORIZED.json');
  const entitlement = read('examples/payloads/ENTITLEMENT_CREATE.json');
  const t = 1_764_849_600;
  const receiverAt = (seconds = t, key = publicHex) => createReceiver(discordEvents, { secret: key, now: () => seconds * 1000, dedup: false });
  const headersFor = (signature: string, timestamp = String(t)) => ({ 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp });

  it('the spec examples are signed with the documented example key, as verifyKey judges them', async () => {
    expect(publicHex).toBe('403d7ca07c015135668b8f2f1c0c62bc08e995e457d52fda85c964786cfbf663');
    const spec = parse(read('provider.yaml').toString('utf8')) as { examples: SpecExample[] };
    const signed = spec.examples.filter((e) => e.request.headers['x-signature-ed25519']);
    expect(signed.length).toBeGreaterThanOrEqual(8);
    for (const example of signed) {
      const body = read(example.request.bodyFile);
      const { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp } = example.request.headers;
      const genuine = example.expect.reason !== 'signature_mismatch';
      expect(await verifyKey(body, signature!, timestamp!, publicHex), example.name).toBe(genuine);
      if (genuine) expect(signature, example.name).toBe(discordSign(privateKey, timestamp!, body));
    }
  });

  it('accepts events signed with node:crypto as Discord documents, and verifyKey agrees', async () => {
    const cases: Array<[Buffer, string]> = [
      [authorized, WebhookEventType.APPLICATION_AUTHORIZED],
      [read('examples/payloads/APPLICATION_DEAUTHORIZED.json'), WebhookEventType.APPLICATION_DEAUTHORIZED],
      [entitlement, WebhookEventType.ENTITLEMENT_CREATE],
      [read('examples/requests/lobby_message_delete.json'), WebhookEventType.LOBBY_MESSAGE_DELETE],
    ];
    for (const [body, type] of cases) {
      const signature = discordSign(privateKey, String(t), body);
      expect(await verifyKey(body, signature, String(t), publicHex), type).toBe(true);
      const result = await receiverAt(t + 2).verify({ method: 'POST', url: '/discord/events', headers: headersFor(signature), body });
      expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
      if (!result.ok || result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
      expect(result.event).toMatchObject({ key: type, name: type, provider: 'discord-events', scheme: 'ed25519' });
      expect(result.event.action).toBeUndefined();
      expect(result.event.id).toBeUndefined();
      expect(result.response).toEqual({ status: 204, headers: {}, body: '' });
    }
  });

  it('refuses, as verifyKey does, a changed body, another key, another timestamp', async () => {
    const signature = discordSign(privateKey, String(t), entitlement);
    const other = publicHexOf(generateKeyPairSync('ed25519').privateKey);
    const cases: Array<[string, Buffer, string, string]> = [
      ['changed body', flipByte(entitlement), String(t), publicHex],
      ['another key', entitlement, String(t), other],
      ['another timestamp', entitlement, String(t + 1), publicHex],
      ['the PING with an event signature', ping, String(t), publicHex],
    ];
    for (const [what, body, timestamp, key] of cases) {
      expect(await verifyKey(body, signature, timestamp, key), what).toBe(false);
      const result = await receiverAt(t, key).verify({ method: 'POST', url: '/', headers: headersFor(signature, timestamp), body });
      expect(result, what).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    }
  });

  it('signs what verifyKey accepts (hookgen signRequest with the private key)', async () => {
    await expectSignedAsDiscordSigns(discordEvents, [ping, authorized, entitlement, read('examples/requests/application_authorized_guild.json')], t);
  });

  it('answers as verifyWebhookEventMiddleware does: 204 for a signed PING, 401 for an invalid or missing signature', async () => {
    const receiver = receiverAt();
    expect(JSON.parse(ping.toString('utf8')).type).toBe(WebhookType.PING);
    const good = headersFor(discordSign(privateKey, String(t), ping));
    const sdk = await middlewareAnswer(publicHex, good, ping);
    const ours = await receiver.handle({ method: 'POST', url: '/', headers: good, body: ping });
    expect(sdk).toMatchObject({ status: 204, body: '', next: false });
    expect(ours.status).toBe(sdk.status);
    expect(ours.body).toBe('');
    const verified = await receiver.verify({ method: 'POST', url: '/', headers: good, body: ping });
    expect(verified).toMatchObject({ ok: true, kind: 'handshake', handshake: 'ping', authenticated: true });

    // Discord's URL checks: invalid signatures, no headers, an unreadable signature must get 401
    const invalid = headersFor(discordSign(generateKeyPairSync('ed25519').privateKey, String(t), ping));
    const noSignature: Record<string, string> = { 'content-type': 'application/json', 'x-signature-timestamp': String(t) };
    for (const headers of [invalid, { 'content-type': 'application/json' }, noSignature, { ...good, 'x-signature-ed25519': 'not-hex' }]) {
      const refused = await middlewareAnswer(publicHex, headers, ping);
      const answer = await receiver.handle({ method: 'POST', url: '/', headers, body: ping });
      expect(refused).toMatchObject({ status: 401, next: false });
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body).error).toMatch(/^(signature_mismatch|missing_signature|malformed_signature|missing_timestamp)$/);
    }
  });

  it('acknowledges an event 204 with no body and hands it to the handlers, as the middleware hands it to next()', async () => {
    const headers = headersFor(discordSign(privateKey, String(t), authorized));
    const sdk = await middlewareAnswer(publicHex, headers, authorized);
    expect(sdk).toMatchObject({ status: 204, body: '', next: true });
    expect((sdk.parsed as { event: { type: string } }).event.type).toBe(WebhookEventType.APPLICATION_AUTHORIZED);

    const seen: string[] = [];
    const receiver = receiverAt()
      .on('APPLICATION_AUTHORIZED', (event) => void seen.push(`authorized:${event.payload.event.data.user.username}:${event.payload.event.data.integration_type}`))
      .on('ENTITLEMENT_CREATE', (event) => void seen.push(`entitlement:${event.payload.event.data.id}`))
      .onAny((event) => void seen.push(`any:${event.key}`));
    const answer = await receiver.handle({ method: 'POST', url: '/', headers, body: authorized });
    expect(answer.status).toBe(sdk.status);
    expect(answer.body).toBe('');
    const second = await receiver.handle({ method: 'POST', url: '/', headers: headersFor(discordSign(privateKey, String(t), entitlement)), body: entitlement });
    expect(second).toMatchObject({ status: 204, body: '' });
    expect(seen.sort()).toEqual(['any:APPLICATION_AUTHORIZED', 'any:ENTITLEMENT_CREATE', 'authorized:mason:1', 'entitlement:1234505980407808808']);
  });
});
