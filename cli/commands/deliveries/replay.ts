import { Args, Flags } from '@oclif/core';
import { SendCommand } from '../../shared/send-client.js';
import { storeFlag } from '../../shared/store.js';
import { parseTimeFlag } from '../../shared/time.js';

export default class DeliveriesReplay extends SendCommand {
  static override summary = 'Send finished deliveries again: by id, or every failure since a time.';
  static override description =
    'Replayed deliveries become pending and due now, with a fresh retry schedule; a running worker sends them. Their attempt log is kept, ' +
    'and the message id (what receivers dedupe on) is unchanged. By ids it is all or nothing: an unknown id replays none (exit 1). ' +
    'Pending and in-flight deliveries are already on their way and are not counted.';
  static override examples = [
    '<%= config.bin %> deliveries replay dlv_0mxyz123 dlv_0mxyz456 --store ./hooks.db',
    '<%= config.bin %> deliveries replay --failed-since 2h --json',
    '<%= config.bin %> deliveries replay --failed-since 2026-01-31T00:00:00Z',
  ];
  static override strict = false;
  static override args = { ids: Args.string({ description: 'Delivery ids (dlv_…), as many as needed.' }) };
  static override flags = {
    store: storeFlag,
    'failed-since': Flags.string({ description: 'Replay every delivery that failed since this time (ISO, epoch ms, or a duration ago: 2h).' }),
  };

  async run(): Promise<{ replayed: number }> {
    const { argv, flags } = await this.parse(DeliveriesReplay);
    const ids = argv as string[];
    const since = flags['failed-since'];
    if ((ids.length > 0) === (since !== undefined)) this.error('give delivery ids or --failed-since (one of them)', { exit: 2 });
    const body = since !== undefined ? { failedSince: this.usage(() => parseTimeFlag(since, '--failed-since')) } : { deliveryIds: ids };
    const result = await this.api<{ replayed: number }>(flags.store, { method: 'POST', path: '/replay', body });
    this.log(`Replayed ${result.replayed} ${result.replayed === 1 ? 'delivery' : 'deliveries'}.`);
    return result;
  }
}
