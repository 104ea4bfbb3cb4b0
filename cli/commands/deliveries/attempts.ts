import { Args } from '@oclif/core';
import type { attemptView } from '../../../runtime/send/management/views.js';
import { SendCommand } from '../../shared/send-client.js';
import { storeFlag } from '../../shared/store.js';
import { style } from '../../shared/style.js';

type AttemptView = ReturnType<typeof attemptView>;

export default class DeliveriesAttempts extends SendCommand {
  static override summary = "List a delivery's attempts: when, how long, the answer or the error.";
  static override description = 'Exit 1: no such delivery. Exit 2: no usable store.';
  static override examples = ['<%= config.bin %> deliveries attempts dlv_0mxyz123 --store ./hooks.db', '<%= config.bin %> deliveries attempts dlv_0mxyz123 --json'];
  static override args = { id: Args.string({ required: true, description: 'The delivery id (dlv_…).' }) };
  static override flags = { store: storeFlag };

  async run(): Promise<AttemptView[]> {
    const { args, flags } = await this.parse(DeliveriesAttempts);
    const { data } = await this.api<{ data: AttemptView[] }>(flags.store, { method: 'GET', path: `/deliveries/${encodeURIComponent(args.id)}/attempts` });
    for (const a of data) {
      const outcome = a.status !== null ? (a.status >= 200 && a.status < 300 ? style.ok(`HTTP ${a.status}`) : style.bad(`HTTP ${a.status}`)) : style.bad(a.errorClass ?? 'error');
      this.log(`#${a.n} ${style.dim(a.startedAt ?? '')} ${outcome} ${style.dim(`${a.durationMs} ms`)}${a.error ? ` ${a.error}` : ''}`);
    }
    if (data.length === 0) this.log('No attempts yet.');
    return data;
  }
}
