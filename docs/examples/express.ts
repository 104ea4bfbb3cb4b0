// Express 5 (Express 4 runs the same code). The webhook routes read the raw body themselves, so
// they are registered before express.json(); every route after it keeps the JSON parser.
import express from 'express';
import { createReceiver } from '../../runtime/index.js';
import { github } from '../../generated/github/index.js';
import { stripe } from '../../generated/stripe/index.js';
import { slack } from '../../generated/slack/index.js';
import { createExpressHandler } from '../../runtime/adapters/express.js';

const githubReceiver = createReceiver(github, { secret: process.env.GITHUB_WEBHOOK_SECRET! })
  .on('issues.opened', (event) => console.log(`GitHub delivery ${event.id}: issue #${event.payload.issue.number} opened`));
const stripeReceiver = createReceiver(stripe, { secret: process.env.STRIPE_WEBHOOK_SECRET! })
  .on('payment_intent.succeeded', (event) => console.log(`Stripe event ${event.id}: ${event.payload.data.object.id} succeeded`));
// Slack's url_verification challenge is answered by the receiver itself.
const slackReceiver = createReceiver(slack, { secret: process.env.SLACK_SIGNING_SECRET! })
  .on('app_mention', (event) => console.log(`Slack event ${event.id}: mentioned in ${event.payload.event.channel}`))
  .on('slash_command', (event) => console.log(`Slack command ${event.payload.command} ${event.payload.text}`));

export const app = express();
app.post('/webhooks/github', createExpressHandler(githubReceiver));
app.post('/webhooks/stripe', createExpressHandler(stripeReceiver));
app.post('/webhooks/slack', createExpressHandler(slackReceiver));

app.use(express.json());
app.post('/api/echo', (req, res) => {
  res.json(req.body);
});
