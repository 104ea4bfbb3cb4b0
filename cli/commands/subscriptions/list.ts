import { Flags } from '@oclif/core';
import type { SubscriptionView } from '../../../runtime/send/management/views.js';
import { SendCommand } from '../../shared/send-client.js';
import { subscriptionLine } from '../../shared/send-format.js';
import { storeFlag } from '../../shared/store.js';

export default class SubscriptionsList extends SendCommand {
  static override summary = 'List subscriptions, of every tenant or of one.';
  static override examples = [
    '<%= config.bin %> subscriptions list --store ./hooks.db',
    'HOOKGEN_STORE=postgres://hookgen@db/app <%= config.bin %> subscriptions list --tenant acme --json',
  ];
  static override flags = {
    store: storeFlag,
    tenant: Flags.string({ description: 'Only this tenant\'s subscriptions.' }),
  };

  async run(): Promise<SubscriptionView[]> {
    const { flags } = await this.parse(SubscriptionsList);
    const { data } = await this.api<{ data: SubscriptionView[] }>(flags.store, { method: 'GET', path: '/subscriptions', query: { tenant: flags.tenant } });
    for (const s of data) this.log(subscriptionLine(s));
    if (data.length === 0) this.log('No subscriptions.');
    return data;
  }
}
