import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { verifyKey } from 'discord-interactions';
import { expect } from 'vitest';
import { createReceiver, signRequest, type Provider } from '../../runtime/index.js';
import { flipByte } from './crosscheck.js';

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The key the discord and discord-events examples are signed with: a fixed seed, so the examples can be re-derived. */
export function exampleKey(): { privateKey: KeyObject; publicHex: string } {
  const seed = createHash('sha256').update('hookgen discord example key').digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicHex: publicHexOf(privateKey) };
}

export const publicHexOf = (privateKey: KeyObject) => createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');

/** Signs as Discord's docs describe: Ed25519 over the timestamp then the raw body, hex. */
export function discordSign(privateKey: KeyObject, timestamp: string, body: string | Buffer): string {
  return edSign(null, Buffer.concat([Buffer.from(timestamp, 'utf8'), Buffer.from(body)]), privateKey).toString('hex');
}

/**
 * hookgen's signer as Discord signs: each body signed with the example key is what node:crypto signs
 * per Discord's docs (Ed25519 is deterministic), verifyKey accepts it and refuses it under another key
 * or with a changed body, and the provider's own receiver accepts it.
 */
export async function expectSignedAsDiscordSigns(provider: Provider<object, unknown>, bodies: readonly Buffer[], t: number): Promise<void> {
  const { privateKey, publicHex } = exampleKey();
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const receiver = createReceiver(provider, { secret: publicHex, now: () => t * 1000, dedup: false });
  for (const body of bodies) {
    const request = signRequest(provider, { secret: privatePem, body, now: t * 1000, headers: { 'content-type': 'application/json' } });
    const signature = request.headers['x-signature-ed25519']!;
    const timestamp = request.headers['x-signature-timestamp']!;
    expect(timestamp).toBe(String(t));
    expect(signature).toMatch(/^[0-9a-f]{128}$/);
    expect(signature).toBe(discordSign(privateKey, timestamp, body));
    expect(await verifyKey(body, signature, timestamp, publicHex)).toBe(true);
    expect(await verifyKey(body, signature, timestamp, publicHexOf(generateKeyPairSync('ed25519').privateKey))).toBe(false);
    expect(await verifyKey(flipByte(body), signature, timestamp, publicHex)).toBe(false);
    const result = await receiver.verify(request);
    expect(result.ok, result.ok ? '' : `${result.reason}: ${result.message}`).toBe(true);
  }
}
