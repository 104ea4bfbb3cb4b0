import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { SubscriptionSecret } from '../store/types.js';

/** Standard Webhooks / Svix secret: `whsec_` + base64 of 24 random bytes. */
export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** How a subscription's requests are signed: a shared HMAC secret, or an Ed25519 key (Standard Webhooks `v1a`). */
export type SignatureKind = 'hmac' | 'ed25519';

const PRIVATE_PREFIX = 'whsk_';
const PUBLIC_PREFIX = 'whpk_';
// DER framing of a bare Ed25519 key: PKCS#8 before the 32-byte seed, SPKI before the 32-byte public key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** An Ed25519 signing key is stored as its secret: `whsk_` + base64 of the 32-byte seed. */
export function isSigningKey(secret: string): boolean {
  return secret.startsWith(PRIVATE_PREFIX);
}

export function kindOf(secret: string): SignatureKind {
  return isSigningKey(secret) ? 'ed25519' : 'hmac';
}

/**
 * A new Ed25519 key pair in Standard Webhooks' spelling: the private key (`whsk_` + base64 of the
 * 32-byte seed, as the reference libraries read it) stays with the sender; the public key
 * (`whpk_` + base64 of the 32 raw bytes) goes to the subscriber.
 */
export function generateSigningKey(): { secret: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  const secret = `${PRIVATE_PREFIX}${seed.toString('base64')}`;
  return { secret, publicKey: publicKeyOf(secret) };
}

/**
 * The `whpk_` public key of a `whsk_` signing key. A 64-byte key (seed then public key, as some
 * Ed25519 libraries store it) is accepted when its second half is the seed's public key.
 */
export function publicKeyOf(secret: string): string {
  const problem = checkSigningKey(secret);
  if (problem) throw new TypeError(problem);
  const raw = Buffer.from(secret.slice(PRIVATE_PREFIX.length), 'base64');
  return `${PUBLIC_PREFIX}${derivePublic(raw.subarray(0, 32)).toString('base64')}`;
}

/** The public keys a subscriber should trust now: the current key's and those of keys in their grace period. */
export function publicKeys(secrets: readonly SubscriptionSecret[], now: number): string[] {
  return activeSecrets(secrets, now).filter((s) => isSigningKey(s.secret)).map((s) => publicKeyOf(s.secret));
}

function derivePublic(seed: Buffer): Buffer {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

function checkSigningKey(secret: string): string | undefined {
  const text = secret.slice(PRIVATE_PREFIX.length);
  const raw = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || (raw.length !== 32 && raw.length !== 64)) {
    return `an Ed25519 signing key is \`whsk_\` + base64 of its 32-byte seed; this one decodes to ${raw.length} bytes`;
  }
  if (raw.length === 64 && !derivePublic(raw.subarray(0, 32)).equals(raw.subarray(32))) {
    return 'this 64-byte `whsk_` key is not a seed followed by its own public key; give the 32-byte seed';
  }
  return undefined;
}

/** Old secrets kept signing at once (Svix keeps at most 10). */
const MAX_SECRETS = 10;

/**
 * Rotation: the new secret becomes current; the old ones keep being signed with until
 * `now + graceMs`, so receivers can switch over without missing a message.
 */
export function rotateSecrets(secrets: readonly SubscriptionSecret[], next: string, now: number, graceMs: number): SubscriptionSecret[] {
  const old = activeSecrets(secrets, now).map((s) => ({ secret: s.secret, expiresAt: s.expiresAt ?? now + graceMs }));
  return [{ secret: next, expiresAt: null }, ...old.filter((s) => s.expiresAt > now && s.secret !== next)].slice(0, MAX_SECRETS);
}

/** The secrets to sign with now: the current one and those still in their grace period. */
export function activeSecrets(secrets: readonly SubscriptionSecret[], now: number): SubscriptionSecret[] {
  return secrets.filter((s) => s.expiresAt === null || s.expiresAt > now);
}

/**
 * HMAC secrets: at least 16 characters (Standard Webhooks' `whsec_` ones and any other scheme's).
 * Ed25519 keys: `whsk_` + base64 of a 32-byte seed; a `whpk_` public key is refused, since it cannot sign.
 */
export function checkSecret(secret: string): string | undefined {
  if (secret.startsWith(PUBLIC_PREFIX)) return 'that is a public key (`whpk_…`): give the private key (`whsk_…`), or none to have one generated';
  if (isSigningKey(secret)) return checkSigningKey(secret);
  if (secret.length < 16) return 'a secret must have at least 16 characters';
  return undefined;
}
