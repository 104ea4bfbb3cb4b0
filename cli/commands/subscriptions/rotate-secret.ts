import { Args, Flags } from '@oclif/core';
import { SendCommand } from '../../shared/send-client.js';
import { storeFlag } from '../../shared/store.js';
import { style } from '../../shared/style.js';
import { parseDuration } from '../../shared/time.js';
import type { CreatedSubscription } from './create.js';

export default class SubscriptionsRotateSecret extends SendCommand {
  static override summary = 'Give a subscription a new signing secret; the old one keeps signing for a grace period.';
  static override description =
    'During the grace period every request carries a signature by each secret (Standard Webhooks), so the endpoint can switch over without missing one. ' +
    'The new secret is printed once. Exit 1: no such subscription. Exit 2: bad input or no usable store.';
  static override examples = [
    '<%= config.bin %> subscriptions rotate-secret sub_0mxyz123 --store ./hooks.db',
    '<%= config.bin %> subscriptions rotate-secret sub_0mxyz123 --grace 1h --json',
  ];
  static override args = { id: Args.string({ required: true, description: 'The subscription id (sub_…).' }) };
  static override flags = {
    store: storeFlag,
    secret: Flags.string({ description: 'The new secret (default: generated).' }),
    signature: Flags.string({ options: ['hmac', 'ed25519'], description: 'The kind of the new secret (default: the current kind).' }),
    grace: Flags.string({ description: 'How long the old secret keeps signing: 30m, 24h, 7d… (default 24h).' }),
  };

  async run(): Promise<CreatedSubscription> {
    const { args, flags } = await this.parse(SubscriptionsRotateSecret);
    const body = {
      secret: flags.secret,
      signature: flags.signature,
      graceMs: flags.grace === undefined ? undefined : this.usage(() => parseDuration(flags.grace!, '--grace')),
    };
    const s = await this.api<CreatedSubscription>(flags.store, { method: 'POST', path: `/subscriptions/${encodeURIComponent(args.id)}/rotate-secret`, body });
    this.log(`New signing secret of ${s.id} (shown once): ${style.bold(s.secret)}`);
    if (s.previousSecretsExpireAt.length > 0) this.log(`The previous secret signs too until ${s.previousSecretsExpireAt[0]}.`);
    return s;
  }
}
