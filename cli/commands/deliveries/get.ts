import { Args } from '@oclif/core';
import type { DeliveryView } from '../../../runtime/send/management/views.js';
import { SendCommand } from '../../shared/send-client.js';
import { deliveryLine } from '../../shared/send-format.js';
import { storeFlag } from '../../shared/store.js';

export default class DeliveriesGet extends SendCommand {
  static override summary = 'Show a delivery: its state, attempts made, last answer and next attempt.';
  static override description = 'Exit 1: no such delivery. Exit 2: no usable store.';
  static override examples = ['<%= config.bin %> deliveries get dlv_0mxyz123 --store ./hooks.db', '<%= config.bin %> deliveries get dlv_0mxyz123 --json'];
  static override args = { id: Args.string({ required: true, description: 'The delivery id (dlv_…).' }) };
  static override flags = { store: storeFlag };

  async run(): Promise<DeliveryView> {
    const { args, flags } = await this.parse(DeliveriesGet);
    const d = await this.api<DeliveryView>(flags.store, { method: 'GET', path: `/deliveries/${encodeURIComponent(args.id)}` });
    this.log(deliveryLine(d));
    if (d.nextAttemptAt) this.log(`  next attempt ${d.nextAttemptAt}`);
    if (d.lastError) this.log(`  last error   ${d.lastError}`);
    return d;
  }
}
