import { PublishError } from '../sender.js';
import { type Route, tenantFor, visibleMessage } from './context.js';
import { invalid, json } from './http.js';
import { bodyObject, optionalString, requiredString } from './input.js';
import { messageView } from './views.js';

export const messageRoutes: Route[] = [
  {
    method: 'POST',
    path: '/messages',
    async handle(ctx) {
      const body = bodyObject(await ctx.body(), ['type', 'data', 'idempotencyKey', 'tenant']);
      const type = requiredString(body, 'type', 256);
      if (!('data' in body)) throw invalid('data', 'required (the event payload; null is allowed)');
      const idempotencyKey = optionalString(body, 'idempotencyKey', 256);
      if (idempotencyKey === '') throw invalid('idempotencyKey', 'must not be empty');
      const tenant = tenantFor(ctx.scope, optionalString(body, 'tenant', 256));
      let result;
      try {
        result = await ctx.sender.publish(type, body.data, { tenant, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
      } catch (error) {
        if (error instanceof PublishError) throw invalid('type', error.message);
        throw error;
      }
      // A known key answers the first message: a client retrying a timed-out publish learns its id.
      const { message } = result;
      return json(202, { id: message.id, eventType: message.eventType, createdAt: new Date(message.createdAt).toISOString(), deliveries: result.deliveries, duplicate: result.duplicate }, {
        location: ctx.link(`/messages/${encodeURIComponent(message.id)}`),
      });
    },
  },
  {
    method: 'GET',
    path: '/messages/:id',
    handle: async (ctx) => json(200, messageView(await visibleMessage(ctx, ctx.params.id!))),
  },
];
