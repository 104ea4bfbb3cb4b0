// Fastify 5. Each webhook plugin parses its own route's body as raw bytes, in its own scope:
// the rest of the app keeps Fastify's JSON parser.
import Fastify from 'fastify';
import { createReceiver } from '../../runtime/index.js';
import { github } from '../../generated/github/index.js';
import { stripe } from '../../generated/stripe/index.js';
import { slack } from '../../generated/slack/index.js';
import { webhookPlugin } from '../../runtime/adapters/fastify.js';

const githubReceiver = createReceiver(github, { secret: process.env.GITHUB_WEBHOOK_SECRET! })
  .on('issues.opened', (event) => console.log(`GitHub delivery ${event.id}: issue #${event.payload.issue.number} opened`));
const stripeReceiver = createReceiver(stripe, { secret: process.env.STRIPE_WEBHOOK_SECRET! })
  .on('payment_intent.succeeded', (event) => console.log(`Stripe event ${event.id}: ${event.payload.data.object.id} succeeded`));
// Slack's url_verification challenge is answered by the receiver itself.
const slackReceiver = createReceiver(slack, { secret: process.env.SLACK_SIGNING_SECRET! })
  .on('app_mention', (event) => console.log(`Slack event ${event.id}: mentioned in ${event.payload.event.channel}`))
  .on('slash_command', (event) => console.log(`Slack command ${event.payload.command} ${event.payload.text}`));

export const app = Fastify();
app.register(webhookPlugin, { receiver: githubReceiver, prefix: '/webhooks/github' });
app.register(webhookPlugin, { receiver: stripeReceiver, prefix: '/webhooks/stripe' });
app.register(webhookPlugin, { receiver: slackReceiver, prefix: '/webhooks/slack' });

app.post('/api/echo', async (request) => request.body);
