import { randomBytes } from 'node:crypto';
import type { SubscriptionSecret } from '../store/types.js';

/** Standard Webhooks / Svix secret: `whsec_` + base64 of 24 random bytes. */
export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
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

/** Accepts what Svix accepts: an optional `whsec_` prefix and 24–64 bytes of base64 (or any 16+ char string for other schemes). */
export function checkSecret(secret: string): string | undefined {
  if (secret.length < 16) return 'a secret must have at least 16 characters';
  return undefined;
}
