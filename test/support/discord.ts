import { createHash, createPrivateKey, createPublicKey, sign as edSign, type KeyObject } from 'node:crypto';

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
