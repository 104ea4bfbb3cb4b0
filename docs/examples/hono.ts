// Hono (and any web-standard runtime: Bun, Deno, Cloudflare Workers). Hand the untouched
// `c.req.raw` to the receiver's fetch handler; do not call c.req.json() on these routes first.
import { Hono } from 'hono';
import { createReceiver } from '../../runtime/index.js';
import { github } from '../../generated/github/index.js';
import { stripe } from '../../generated/stripe/index.js';
import { slack } from '../../generated/slack/index.js';

const githubReceiver = createReceiver(github, { secret: process.env.GITHUB_WEBHOOK_SECRET! })
  .on('issues.opened', (event) => console.log(`GitHub delivery ${event.id}: issue #${event.payload.issue.number} opened`));
const stripeReceiver = createReceiver(stripe, { secret: process.env.STRIPE_WEBHOOK_SECRET! })
  .on('payment_intent.succeeded', (event) => console.log(`Stripe event ${event.id}: ${event.payload.data.object.id} succeeded`));
// Slack's url_verification challenge is answered by the receiver itself.
const slackReceiver = createReceiver(slack, { secret: process.env.SLACK_SIGNING_SECRET! })
  .on('app_mention', (event) => console.log(`Slack event ${event.id}: mentioned in ${event.payload.event.channel}`))
  .on('slash_command', (event) => console.log(`Slack command ${event.payload.command} ${event.payload.text}`));

export const app = new Hono();
app.post('/webhooks/github', (c) => githubReceiver.fetch(c.req.raw));
app.post('/webhooks/stripe', (c) => stripeReceiver.fetch(c.req.raw));
app.post('/webhooks/slack', (c) => slackReceiver.fetch(c.req.raw));
