import { Args } from '@oclif/core';
import type { SubscriptionView } from '../../../runtime/send/management/views.js';
import { SendCommand } from '../../shared/send-client.js';
import { subscriptionDetails } from '../../shared/send-format.js';
import { storeFlag } from '../../shared/store.js';

export default class SubscriptionsResume extends SendCommand {
  static override summary = 'Resume a paused subscription; its queued deliveries go out.';
  static override description = 'Exit 1: no such subscription. Exit 2: no usable store.';
  static override examples = ['<%= config.bin %> subscriptions resume sub_0mxyz123 --store ./hooks.db', '<%= config.bin %> subscriptions resume sub_0mxyz123 --json'];
  static override args = { id: Args.string({ required: true, description: 'The subscription id (sub_…).' }) };
  static override flags = { store: storeFlag };

  async run(): Promise<SubscriptionView> {
    const { args, flags } = await this.parse(SubscriptionsResume);
    const s = await this.api<SubscriptionView>(flags.store, { method: 'POST', path: `/subscriptions/${encodeURIComponent(args.id)}/resume` });
    for (const line of subscriptionDetails(s)) this.log(line);
    return s;
  }
}
