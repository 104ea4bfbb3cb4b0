import { Flags } from '@oclif/core';
import type { SubscriptionView } from '../../../runtime/send/management/views.js';
import { parseHeaders, parseMetadata, SendCommand } from '../../shared/send-client.js';
import { subscriptionLine } from '../../shared/send-format.js';
import { storeFlag } from '../../shared/store.js';
import { style } from '../../shared/style.js';

export type CreatedSubscription = SubscriptionView & { secret: string };

export default class SubscriptionsCreate extends SendCommand {
  static override summary = 'Subscribe an endpoint to events; prints its signing secret once.';
  static override description =
    'Creates the store (a SQLite file) when it does not exist yet. The signing secret is generated unless --secret gives one, and is shown only here ' +
    '(and by rotate-secret): give it to the endpoint\'s owner. Exit 2: bad input or no usable store.';
  static override examples = [
    '<%= config.bin %> subscriptions create --store ./hooks.db --url https://example.com/webhooks --event "invoice.*" --event user.created',
    '<%= config.bin %> subscriptions create --store postgres://hookgen@db/app --url https://example.com/hook --tenant acme --header "X-Api-Key:k-123" --json',
    '<%= config.bin %> subscriptions create --store ./hooks.db --url https://example.com/hook --signature ed25519',
  ];
  static override flags = {
    store: storeFlag,
    url: Flags.string({ char: 'u', required: true, description: 'The endpoint (http or https).' }),
    event: Flags.string({ char: 'e', multiple: true, description: 'An event filter: an exact name, `prefix.*` or `*` (default `*`); repeat for several.' }),
    secret: Flags.string({ description: 'The signing secret to use (default: a generated whsec_ secret).' }),
    signature: Flags.string({ options: ['hmac', 'ed25519'], description: 'HMAC with a shared secret (default), or an Ed25519 key pair.' }),
    header: Flags.string({ char: 'H', multiple: true, default: [], description: 'A header sent with every request, name:value.' }),
    metadata: Flags.string({ description: 'JSON object kept with the subscription, for your own use.' }),
    tenant: Flags.string({ description: 'The tenant it belongs to.' }),
    'verify-echo': Flags.boolean({ description: 'First check that GET <url>?echo=<random> answers the random value.' }),
  };

  async run(): Promise<CreatedSubscription> {
    const { flags } = await this.parse(SubscriptionsCreate);
    const body = {
      url: flags.url,
      events: flags.event,
      secret: flags.secret,
      signature: flags.signature,
      headers: this.usage(() => parseHeaders(flags.header)),
      metadata: this.usage(() => parseMetadata(flags.metadata)),
      tenant: flags.tenant,
      verifyEcho: flags['verify-echo'] || undefined,
    };
    const created = await this.api<CreatedSubscription>(flags.store, { method: 'POST', path: '/subscriptions', body }, { create: true });
    this.log(subscriptionLine(created));
    this.log(`Signing secret (shown once): ${style.bold(created.secret)}`);
    if ('publicKey' in created) this.log(`Public key (for the endpoint's verifier): ${created.publicKey}`);
    return created;
  }
}
