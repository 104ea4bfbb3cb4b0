// Next.js App Router: app/api/webhooks/github/route.ts. Route handlers get a web Request whose
// body Next.js has not touched, so the fetch handler is all it takes.
import { createReceiver } from '../../runtime/index.js';
import { github } from '../../generated/github/index.js';

const receiver = createReceiver(github, { secret: process.env.GITHUB_WEBHOOK_SECRET! })
  .on('issues.opened', (event) => console.log(`GitHub delivery ${event.id}: issue #${event.payload.issue.number} opened`));

export const POST = (req: Request) => receiver.fetch(req);
