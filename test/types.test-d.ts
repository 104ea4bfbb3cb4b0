import { describe, expectTypeOf, test } from 'vitest';
import { createReceiver, type WebhookEvent } from '../runtime/index.js';
import { github, type WebhookIssuesOpened } from '../generated/github/index.js';
import { stripe } from '../generated/stripe/index.js';
import { slack } from '../generated/slack/index.js';
import { standardWebhooks } from '../generated/standard-webhooks/index.js';

describe('generated providers type their handlers', () => {
  test('GitHub: event.action keys narrow the payload', () => {
    const receiver = createReceiver(github, { secret: 's' });
    receiver.on('issues.opened', (event) => {
      expectTypeOf(event.payload.issue.number).toEqualTypeOf<number>();
      expectTypeOf(event.payload.action).toEqualTypeOf<'opened'>();
      expectTypeOf(event.payload).toEqualTypeOf<WebhookIssuesOpened>();
      expectTypeOf(event.key).toEqualTypeOf<'issues.opened'>();
    });
    receiver.on('issues', (event) => {
      expectTypeOf(event.payload.action).toEqualTypeOf<
        'assigned' | 'closed' | 'deleted' | 'demilestoned' | 'edited' | 'labeled' | 'locked' | 'milestoned' | 'opened' | 'pinned' | 'reopened' | 'transferred' | 'typed' | 'unassigned' | 'unlabeled' | 'unlocked' | 'unpinned' | 'untyped'
      >();
    });
    receiver.on(['push', 'ping'], (event) => {
      expectTypeOf(event.key).toEqualTypeOf<'push' | 'ping'>();
    });
    // @ts-expect-error a misspelled event name does not compile
    receiver.on('issues.opend', () => undefined);
    // @ts-expect-error nor does reading a field the payload does not have
    receiver.on('ping', (event) => event.payload.issue);
  });

  test('Stripe: events with a schema are typed, the rest get the generic envelope', () => {
    const receiver = createReceiver(stripe, { secret: 'whsec_x' });
    receiver.on('payment_intent.succeeded', (event) => {
      expectTypeOf(event.payload.data.object.amount).toEqualTypeOf<number>();
      expectTypeOf(event.payload.type).toEqualTypeOf<'payment_intent.succeeded'>();
    });
    receiver.on('radar.early_fraud_warning.created', (event) => {
      expectTypeOf(event.payload.type).toEqualTypeOf<string>();
    });
    // @ts-expect-error not a Stripe event
    receiver.on('payment_intent.succeded', () => undefined);
  });

  test('Slack: Events API, slash commands and interactivity', () => {
    const receiver = createReceiver(slack, { secret: 's' });
    receiver.on('app_mention', (event) => {
      expectTypeOf(event.payload.event.text).toEqualTypeOf<string>();
    });
    receiver.on('slash_command', (event) => {
      expectTypeOf(event.payload.command).toEqualTypeOf<string>();
    });
    receiver.on('block_actions', (event) => {
      expectTypeOf(event.payload.type).toEqualTypeOf<'block_actions'>();
    });
  });

  test('Standard Webhooks: any event name, the recommended envelope', () => {
    const receiver = createReceiver(standardWebhooks, { secret: 'whsec_x' });
    receiver.on('invoice.paid', (event) => {
      expectTypeOf(event.payload.data).toEqualTypeOf<{ [k: string]: unknown }>();
      expectTypeOf(event.payload.type).toEqualTypeOf<string>();
    });
  });

  test('verify narrows on ok and kind', async () => {
    const receiver = createReceiver(github, { secret: 's' });
    const result = await receiver.verify({ headers: {}, body: '' });
    if (result.ok && result.kind === 'event') expectTypeOf(result.event).toMatchTypeOf<WebhookEvent>();
    if (!result.ok) expectTypeOf(result.status).toEqualTypeOf<number>();
  });
});
