import { Flags } from '@oclif/core';
import type { DeliveryView } from '../../../runtime/send/management/views.js';
import { SendCommand } from '../../shared/send-client.js';
import { deliveryLine } from '../../shared/send-format.js';
import { storeFlag } from '../../shared/store.js';
import { style } from '../../shared/style.js';
import { parseTimeFlag } from '../../shared/time.js';

export default class DeliveriesList extends SendCommand {
  static override summary = 'List deliveries, newest first, a page at a time.';
  static override description =
    'Filters combine. --since and --until take an ISO time, epoch milliseconds, or a duration ago (30m, 2h, 7d). ' +
    'When more match than --limit, the next page is one --cursor away (printed at the end; `nextCursor` with --json).';
  static override examples = [
    '<%= config.bin %> deliveries list --store ./hooks.db --status failed --since 24h',
    '<%= config.bin %> deliveries list --subscription sub_0mxyz123 --limit 20 --json',
    '<%= config.bin %> deliveries list --message msg_0mxyz456',
  ];
  static override flags = {
    store: storeFlag,
    subscription: Flags.string({ char: 's', description: 'Only deliveries to this subscription.' }),
    message: Flags.string({ char: 'm', description: 'Only deliveries of this message.' }),
    status: Flags.string({ options: ['pending', 'inflight', 'succeeded', 'failed', 'cancelled'], description: 'Only deliveries in this state.' }),
    since: Flags.string({ description: 'Created at or after this time.' }),
    until: Flags.string({ description: 'Created before this time.' }),
    tenant: Flags.string({ description: "Only this tenant's deliveries." }),
    limit: Flags.integer({ default: 50, min: 1, max: 500, description: 'Deliveries per page.' }),
    cursor: Flags.string({ description: 'Where the previous page stopped.' }),
  };

  async run(): Promise<{ data: DeliveryView[]; nextCursor: string | null }> {
    const { flags } = await this.parse(DeliveriesList);
    const query = {
      subscription: flags.subscription, message: flags.message, status: flags.status, tenant: flags.tenant,
      since: flags.since === undefined ? undefined : this.usage(() => parseTimeFlag(flags.since!, '--since')),
      until: flags.until === undefined ? undefined : this.usage(() => parseTimeFlag(flags.until!, '--until')),
      limit: flags.limit, cursor: flags.cursor,
    };
    const page = await this.api<{ data: DeliveryView[]; nextCursor: string | null }>(flags.store, { method: 'GET', path: '/deliveries', query });
    for (const d of page.data) this.log(deliveryLine(d));
    if (page.data.length === 0) this.log('No deliveries.');
    if (page.nextCursor) this.log(style.dim(`More: add --cursor ${page.nextCursor}`));
    return page;
  }
}
