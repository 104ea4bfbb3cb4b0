// Next.js Pages Router: pages/api/webhooks/github.ts. Turn Next's body parser off for this route
// (write the literal: Next.js reads `config` statically), and export the handler.
import { createReceiver } from '../../runtime/index.js';
import { github } from '../../generated/github/index.js';
import { createPagesApiHandler } from '../../runtime/adapters/next.js';

export const config = { api: { bodyParser: false } };

const receiver = createReceiver(github, { secret: process.env.GITHUB_WEBHOOK_SECRET! })
  .on('issues.opened', (event) => console.log(`GitHub delivery ${event.id}: issue #${event.payload.issue.number} opened`));

export default createPagesApiHandler(receiver);
