// Koa. The webhook middleware comes before any body parser; each one answers its own path and
// passes every other request on.
import Koa from 'koa';
import { createReceiver } from '../../runtime/index.js';
import { github } from '../../generated/github/index.js';
import { stripe } from '../../generated/stripe/index.js';
import { slack } from '../../generated/slack/index.js';
import { createKoaMiddleware } from '../../runtime/adapters/koa.js';

const githubReceiver = createReceiver(github, { secret: process.env.GITHUB_WEBHOOK_SECRET! })
  .on('issues.opened', (event) => console.log(`GitHub delivery ${event.id}: issue #${event.payload.issue.number} opened`));
const stripeReceiver = createReceiver(stripe, { secret: process.env.STRIPE_WEBHOOK_SECRET! })
  .on('payment_intent.succeeded', (event) => console.log(`Stripe event ${event.id}: ${event.payload.data.object.id} succeeded`));
// Slack's url_verification challenge is answered by the receiver itself.
const slackReceiver = createReceiver(slack, { secret: process.env.SLACK_SIGNING_SECRET! })
  .on('app_mention', (event) => console.log(`Slack event ${event.id}: mentioned in ${event.payload.event.channel}`))
  .on('slash_command', (event) => console.log(`Slack command ${event.payload.command} ${event.payload.text}`));

export const app = new Koa();
app.use(createKoaMiddleware(githubReceiver, { path: '/webhooks/github' }));
app.use(createKoaMiddleware(stripeReceiver, { path: '/webhooks/stripe' }));
app.use(createKoaMiddleware(slackReceiver, { path: '/webhooks/slack' }));
