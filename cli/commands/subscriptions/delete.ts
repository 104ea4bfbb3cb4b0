import { Args } from '@oclif/core';
import { SendCommand } from '../../shared/send-client.js';
import { storeFlag } from '../../shared/store.js';

export default class SubscriptionsDelete extends SendCommand {
  static override summary = 'Delete a subscription; its unfinished deliveries are cancelled.';
  static override description = 'Exit 1: no such subscription. Exit 2: no usable store.';
  static override examples = ['<%= config.bin %> subscriptions delete sub_0mxyz123 --store ./hooks.db'];
  static override args = { id: Args.string({ required: true, description: 'The subscription id (sub_…).' }) };
  static override flags = { store: storeFlag };

  async run(): Promise<{ deleted: string }> {
    const { args, flags } = await this.parse(SubscriptionsDelete);
    await this.api(flags.store, { method: 'DELETE', path: `/subscriptions/${encodeURIComponent(args.id)}` });
    this.log(`Deleted ${args.id}.`);
    return { deleted: args.id };
  }
}
