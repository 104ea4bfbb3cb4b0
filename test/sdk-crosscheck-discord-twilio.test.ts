import { readFileSync } from 'node:fs';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InteractionResponseType, InteractionType, verifyKey, verifyKeyMiddleware } from 'discord-interactions';
import twilioSdk from 'twilio';
import { createReceiver, signRequest } from '../runtime/index.js';
import { discord } from '../generated/discord/index.js';
import { twilio } from '../generated/twilio/index.js';
import { flipByte } from './support/crosscheck.js';
import { discordSign, exampleKey, expectSignedAsDiscordSigns, publicHexOf } from './support/discord.js';

/**
 * Discord and Twilio against their official SDKs, in both directions: what the SDK (or, for Discord,
 * node:crypto exactly as Discord's docs describe; discord-interactions only verifies) signs hookgen
 * accepts, and what hookgen signs the SDK accepts; tampering and other keys are refused by both.
 */

const read = (path: string) => readFileSync(new URL(`../schemas/providers/${path}`, import.meta.url));

// ---------------------------------------------------------------------------------------------
// Discord × discord-interactions 4.4.0

/** discord-interactions' Express middleware run on a request, with the answer it gives. */
async function middlewareAnswer(publicHex: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string; next: boolean }> {
  const middleware = verifyKeyMiddleware(publicHex);
  return new Promise((resolve) => {
    const res = {
      statusCode: 200,
      headers: {} as Record<string, string>,
      setHeader(name: string, value: string) {
        this.headers[name.toLowerCase()] = value;
      },
      end(text?: string) {
        resolve({ status: this.statusCode, body: text ?? '', next: false });
      },
    };
    const req = { body, header: (name: string) => headers[name.toLowerCase()] };
    void middleware(req as never, res as never, () => resolve({ status: 200, body: '', next: true }));
  });
}

describe('Discord × discord-interactions 4.4.0', () => {
  const { privateKey, publicHex } = exampleKey();
  const command = read('discord/examples/payloads/application_command.json');
  const ping = read('discord/examples/requests/ping.json');
  const t = 1_764_849_600;
  const receiverAt = (seconds = t, key = publicHex) => createReceiver(discord, { secret: key, now: () => seconds * 1000, dedup: false });
  const headersFor = (signature: string, timestamp = String(t)) => ({ 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp });

  it('the spec examples are signed with this key, and verifyKey accepts them', async () => {
    expect(publicHex).toBe('403d7ca07c015135668b8f2f1c0c62bc08e995e457d52fda85c964786cfbf663');
    for (const [file, body] of [['application_command', command], ['message_component', read('discord/examples/payloads/message_component.json')], ['ping', ping]] as const) {
      const signature = discordSign(privateKey, String(t), body);
      expect(await verifyKey(body, signature, String(t), publicHex), file).toBe(true);
    }
  });

  it('accepts an interaction signed with node:crypto as Discord documents it, and verifyKey agrees', async () => {
    const signature = discordSign(privateKey, String(t), command);
    expect(await verifyKey(command, signature, String(t), publicHex)).toBe(true);
    const result = await receiverAt(t + 2).verify({ method: 'POST', url: '/interactions', headers: headersFor(signature), body: command });
    expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
    if (!result.ok || result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
    expect(result.event).toMatchObject({ key: 'application_command.blep', name: 'application_command', action: 'blep', id: '786008729715212338', provider: 'discord', scheme: 'ed25519' });
    expect(result.response).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: InteractionResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE }) });
  });

  it('refuses, as verifyKey does, a changed body, another key, another timestamp', async () => {
    const signature = discordSign(privateKey, String(t), command);
    const other = publicHexOf(generateKeyPairSync('ed25519').privateKey);
    const cases: Array<[string, Buffer, string, string]> = [
      ['changed body', flipByte(command), String(t), publicHex],
      ['another key', command, String(t), other],
      ['another timestamp', command, String(t + 1), publicHex],
    ];
    for (const [what, body, timestamp, key] of cases) {
      expect(await verifyKey(body, signature, timestamp, key), what).toBe(false);
      const result = await receiverAt(t, key).verify({ method: 'POST', url: '/', headers: headersFor(signature, timestamp), body });
      expect(result, what).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401, authenticated: false });
    }
  });

  it('signs what verifyKey accepts (hookgen signRequest with the private key)', async () => {
    await expectSignedAsDiscordSigns(discord, [command, ping, read('discord/examples/payloads/modal_submit.json')], t);
  });

  it('answers as verifyKeyMiddleware does: PONG for a signed PING, 401 for an invalid signature', async () => {
    const receiver = receiverAt();
    const good = headersFor(discordSign(privateKey, String(t), ping));
    const sdkPong = await middlewareAnswer(publicHex, good, ping);
    const ours = await receiver.handle({ method: 'POST', url: '/', headers: good, body: ping });
    expect(sdkPong).toMatchObject({ status: 200, next: false });
    expect(ours.status).toBe(sdkPong.status);
    expect(JSON.parse(ours.body)).toEqual(JSON.parse(sdkPong.body));
    expect(JSON.parse(ours.body)).toEqual({ type: InteractionResponseType.PONG });
    expect(ours.headers['content-type']).toBe('application/json');

    // Discord's URL check: a PING with an invalid signature, and one without headers, must get 401
    const invalid = headersFor(discordSign(generateKeyPairSync('ed25519').privateKey, String(t), ping));
    for (const headers of [invalid, { 'content-type': 'application/json' }, { ...good, 'x-signature-ed25519': 'not-hex' }]) {
      const sdk = await middlewareAnswer(publicHex, headers, ping);
      const answer = await receiver.handle({ method: 'POST', url: '/', headers, body: ping });
      expect(sdk.status).toBe(401);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body).error).toMatch(/^(signature_mismatch|missing_signature|malformed_signature|missing_timestamp)$/);
    }
  });

  it('hands an interaction to the handlers as the middleware hands it to next()', async () => {
    const headers = headersFor(discordSign(privateKey, String(t), command));
    expect(await middlewareAnswer(publicHex, headers, command)).toMatchObject({ next: true });
    const seen: string[] = [];
    const receiver = receiverAt()
      .on('application_command', (event) => void seen.push(`command:${event.payload.data.name}`))
      .on('application_command.blep', (event) => void seen.push(`blep:${event.payload.id}`));
    const answer = await receiver.handle({ method: 'POST', url: '/', headers, body: command });
    expect(answer).toMatchObject({ status: 200, body: '{"type":5}' });
    expect(seen.sort()).toEqual(['blep:786008729715212338', 'command:blep']);
  });
});

// ---------------------------------------------------------------------------------------------
// Twilio × twilio 6.2.0

type Params = Record<string, string | string[]>;

/** Form fields as express.urlencoded gives them to twilio's validators: a repeated name becomes an array. */
function paramsOf(body: string): Params {
  const params: Params = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const seen = params[name];
    params[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return params;
}

function formBody(pairs: Array<[string, string]>): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

const sha256Hex = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');

describe('Twilio × twilio 6.2.0', () => {
  const authToken = 'crosscheck_twilio_auth_token_42';
  const publicUrl = 'https://hooks.example.com/twilio/sms?tenant=acme';
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const receiverFor = (url = publicUrl, token = authToken) => createReceiver(twilio, { secret: token, config: { publicUrl: url }, dedup: false });
  const incoming = read('twilio/examples/requests/incoming-message.form.txt').toString('utf8');

  it('accepts a form request signed by getExpectedTwilioSignature(), and refuses it changed', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, publicUrl, paramsOf(incoming));
    expect(twilioSdk.validateRequest(authToken, signature, publicUrl, paramsOf(incoming))).toBe(true);
    const request = { method: 'POST', url: '/twilio/sms?tenant=acme', headers: { ...form, 'x-twilio-signature': signature }, body: incoming };
    const result = await receiverFor().verify(request);
    expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
    if (!result.ok || result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
    expect(result.event).toMatchObject({ key: 'message.incoming', provider: 'twilio', scheme: 'form' });
    expect((result.event.payload as { Body: string }).Body).toBe('Hello from hookgen — café & more!');

    const changed = incoming.replace('Hello', 'Jello');
    expect(twilioSdk.validateRequest(authToken, signature, publicUrl, paramsOf(changed))).toBe(false);
    expect(await receiverFor().verify({ ...request, body: changed })).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401 });
    // the URL is part of what Twilio signs: another configured URL, or another token, fails for both
    expect(twilioSdk.validateRequest(authToken, signature, 'https://hooks.example.com/twilio/sms', paramsOf(incoming))).toBe(false);
    expect(await receiverFor('https://hooks.example.com/twilio/sms').verify(request)).toMatchObject({ ok: false, reason: 'signature_mismatch' });
    expect(await receiverFor(publicUrl, 'another_token').verify(request)).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('signs what validateRequest() accepts, and exactly what getExpectedTwilioSignature() computes', async () => {
    for (const file of ['incoming-message', 'message-status', 'incoming-call', 'call-completed', 'duplicate-digits']) {
      const body = read(`twilio/examples/requests/${file}.form.txt`).toString('utf8');
      const request = signRequest(twilio, { secret: authToken, config: { publicUrl }, body, headers: form, scheme: 'form' });
      const signature = request.headers['x-twilio-signature']!;
      expect(signature, file).toBe(twilioSdk.getExpectedTwilioSignature(authToken, publicUrl, paramsOf(body)));
      expect(twilioSdk.validateRequest(authToken, signature, publicUrl, paramsOf(body)), file).toBe(true);
      expect(twilioSdk.validateRequest('another_token', signature, publicUrl, paramsOf(body)), file).toBe(false);
      expect(twilioSdk.validateRequest(authToken, signature, publicUrl, { ...paramsOf(body), Extra: 'field' }), file).toBe(false);
      expect((await receiverFor().verify(request)).ok, file).toBe(true);
    }
  });

  it('sorts and concatenates fields as the SDK does, over awkward form bodies', async () => {
    // repeated names (same and different values), prefixes of other names, empty values, +, %, non-ASCII, astral characters
    const bodies: Array<Array<[string, string]>> = [
      [['Sid', 'CA123'], ['SidAccount', 'AC123'], ['Digits', '5678'], ['Digits', '1234']],
      [['b', '2'], ['b', '2'], ['b', '10'], ['a', ''], ['A', 'x']],
      [['Body', 'a+b c%20d'], ['Body2', '€ 😀'], ['Z', '\u00e9'], ['_', '[]'], ['MediaUrl10', 'u'], ['MediaUrl2', 'v']],
      [['To', '+14155550100'], ['From', 'whatsapp:+14155550199'], ['Body', 'line1\nline2\ttab'], ['NumMedia', '0'], ['😀', 'emoji name'], ['\uffff', 'bmp max']],
      [],
    ];
    for (const pairs of bodies) {
      const body = formBody(pairs);
      const sdkSignature = twilioSdk.getExpectedTwilioSignature(authToken, publicUrl, paramsOf(body));
      const ours = signRequest(twilio, { secret: authToken, config: { publicUrl }, body, headers: form, scheme: 'form' });
      expect(ours.headers['x-twilio-signature'], body).toBe(sdkSignature);
      const result = await receiverFor().verify({ method: 'POST', url: '/', headers: { ...form, 'x-twilio-signature': sdkSignature }, body });
      expect(result.ok, `${body}: ${result.ok ? '' : result.message}`).toBe(true);
    }
  });

  it('accepts a JSON body signed by the SDK with bodySHA256 (? and &), and validateRequestWithBody agrees', async () => {
    const body = read('twilio/examples/requests/body-sha256.json').toString('utf8');
    for (const url of ['https://hooks.example.com/twilio/json', publicUrl]) {
      const signedUrl = `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${sha256Hex(body)}`;
      const signature = twilioSdk.getExpectedTwilioSignature(authToken, signedUrl, {});
      expect(twilioSdk.validateRequestWithBody(authToken, signature, signedUrl, body)).toBe(true);
      const request = { method: 'POST', url: new URL(signedUrl).pathname + new URL(signedUrl).search, headers: { 'content-type': 'application/json', 'x-twilio-signature': signature }, body };
      const result = await receiverFor(url).verify(request);
      expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
      if (result.ok && result.kind === 'event') expect(result.event.scheme).toBe(url.includes('?') ? 'json-query' : 'json');
      // a changed body no longer matches the signed hash: both refuse
      const forged = body.replace('value', 'VALUE');
      expect(twilioSdk.validateRequestWithBody(authToken, signature, signedUrl, forged)).toBe(false);
      expect(await receiverFor(url).verify({ ...request, body: forged })).toMatchObject({ ok: false, reason: 'signature_mismatch', status: 401 });
    }
  });

  it('signs JSON bodies that validateRequestWithBody() accepts', async () => {
    const body = '{"AccountSid":"AC0123","EventType":"onMessageAdded","Body":"héllo"}';
    for (const [url, scheme] of [['https://hooks.example.com/twilio/json', 'json'], [publicUrl, 'json-query']] as const) {
      const request = signRequest(twilio, { secret: authToken, config: { publicUrl: url }, body, headers: { 'content-type': 'application/json' }, scheme });
      const signature = request.headers['x-twilio-signature']!;
      const signedUrl = `${url}${scheme === 'json' ? '?' : '&'}bodySHA256=${sha256Hex(body)}`;
      expect(twilioSdk.validateRequestWithBody(authToken, signature, signedUrl, body)).toBe(true);
      expect(twilioSdk.validateRequestWithBody('another_token', signature, signedUrl, body)).toBe(false);
      expect(twilioSdk.validateRequestWithBody(authToken, signature, signedUrl, flipByte(body).toString('utf8'))).toBe(false);
      const result = await receiverFor(url).verify(request);
      expect(result).toMatchObject({ ok: true, kind: 'event', event: { key: 'other', scheme } });
    }
  });

  it('the published vectors verify with the SDK exactly as the spec examples state', () => {
    const docs = read('twilio/examples/requests/docs-vector.form.txt').toString('utf8');
    expect(twilioSdk.validateRequest('12345', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', 'https://mycompany.com/myapp.php?foo=1&bar=2', paramsOf(docs))).toBe(true);
    const python = read('twilio/examples/requests/python-vector.form.txt').toString('utf8');
    // the SDK also tries the URL with :443 added; hookgen signs the configured URL only (the spec's examples pin both)
    expect(twilioSdk.validateRequest('12345', 'kvajT1Ptam85bY51eRf/AJRuM3w=', 'https://mycompany.com/myapp.php?foo=1&bar=2', paramsOf(python))).toBe(true);
    expect(twilioSdk.getExpectedTwilioSignature('12345', 'https://mycompany.com:443/myapp.php?foo=1&bar=2', paramsOf(python))).toBe('kvajT1Ptam85bY51eRf/AJRuM3w=');
  });
});
