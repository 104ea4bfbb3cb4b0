import { Args, Flags } from '@oclif/core';
import type { SubscriptionView } from '../../../runtime/send/management/views.js';
import { parseHeaders, parseMetadata, SendCommand } from '../../shared/send-client.js';
import { subscriptionDetails } from '../../shared/send-format.js';
import { storeFlag } from '../../shared/store.js';

export default class SubscriptionsUpdate extends SendCommand {
  static override summary = "Change a subscription's URL, event filters, headers or metadata.";
  static override description = 'Given flags replace the whole value (all --event filters, all --header headers). Exit 1: no such subscription. Exit 2: bad input or no usable store.';
  static override examples = [
    '<%= config.bin %> subscriptions update sub_0mxyz123 --store ./hooks.db --url https://example.com/v2/webhooks',
    '<%= config.bin %> subscriptions update sub_0mxyz123 --event "invoice.*" --event "user.*" --json',
  ];
  static override args = { id: Args.string({ required: true, description: 'The subscription id (sub_…).' }) };
  static override flags = {
    store: storeFlag,
    url: Flags.string({ char: 'u', description: 'The new endpoint.' }),
    event: Flags.string({ char: 'e', multiple: true, description: 'The new event filters; repeat for several.' }),
    header: Flags.string({ char: 'H', multiple: true, default: [], description: 'The new headers, name:value; repeat for several.' }),
    metadata: Flags.string({ description: 'The new metadata, a JSON object.' }),
  };

  async run(): Promise<SubscriptionView> {
    const { args, flags } = await this.parse(SubscriptionsUpdate);
    const body = {
      url: flags.url,
      events: flags.event,
      headers: this.usage(() => parseHeaders(flags.header)),
      metadata: this.usage(() => parseMetadata(flags.metadata)),
    };
    if (Object.values(body).every((v) => v === undefined)) this.error('nothing to change: give --url, --event, --header or --metadata', { exit: 2 });
    const s = await this.api<SubscriptionView>(flags.store, { method: 'PATCH', path: `/subscriptions/${encodeURIComponent(args.id)}`, body });
    for (const line of subscriptionDetails(s)) this.log(line);
    return s;
  }
}
