import type { Subscription } from '../../store/types.js';
import type { SignatureKind } from '../secrets.js';
import { SubscriptionError } from '../subscriptions.js';
import { type Route, type RouteContext, tenantFor, visibleSubscription } from './context.js';
import { ApiError, invalid, json, notFound } from './http.js';
import {
  bodyObject, optionalBoolean, optionalChoice, optionalNonNegativeInteger, optionalObject, optionalString, optionalStringRecord,
  optionalStrings, queryParams, requiredString,
} from './input.js';
import { subscriptionView, withSecret } from './views.js';

/**
 * Runs a subscription operation; its own checks (URL scheme, filters, header names, secret length)
 * answer 400 with their message. A subscription deleted meanwhile is a 404 like any unknown one.
 */
async function operate(ctx: RouteContext, id: string | undefined, op: () => Promise<Subscription>): Promise<Subscription> {
  try {
    return await op();
  } catch (error) {
    if (!(error instanceof SubscriptionError)) throw error;
    if (id !== undefined && !(await ctx.sender.store.getSubscription(id))) throw notFound('subscription', id);
    throw new ApiError(400, 'invalid_request', error.message);
  }
}

const SIGNATURES: readonly SignatureKind[] = ['hmac', 'ed25519'];

const view = (ctx: RouteContext, s: Subscription) => json(200, subscriptionView(s, ctx.now()));

/** `POST /subscriptions/:id/<action>`: an operation taking only the id. */
const action = (path: string, op: 'pause' | 'resume' | 'enable'): Route => ({
  method: 'POST',
  path,
  async handle(ctx) {
    const id = (await visibleSubscription(ctx, ctx.params.id!)).id;
    bodyObject(await ctx.body(), []);
    return view(ctx, await operate(ctx, id, () => ctx.sender.subscriptions[op](id)));
  },
});

export const subscriptionRoutes: Route[] = [
  {
    method: 'GET',
    path: '/subscriptions',
    async handle(ctx) {
      const tenant = queryParams(ctx.url, ['tenant']).get('tenant');
      // A scoped caller asking for another tenant gets the empty intersection, not an error.
      if (ctx.scope.tenant !== undefined && tenant !== undefined && tenant !== ctx.scope.tenant) return json(200, { data: [] });
      const list = await ctx.sender.subscriptions.list(ctx.scope.tenant !== undefined ? { tenant: ctx.scope.tenant } : tenant !== undefined ? { tenant } : {});
      return json(200, { data: list.map((s) => subscriptionView(s, ctx.now())) });
    },
  },
  {
    method: 'POST',
    path: '/subscriptions',
    async handle(ctx) {
      const body = bodyObject(await ctx.body(), ['url', 'events', 'secret', 'signature', 'headers', 'metadata', 'tenant', 'verifyEcho']);
      const input = {
        url: requiredString(body, 'url'),
        events: optionalStrings(body, 'events'),
        secret: optionalString(body, 'secret', 512),
        signature: optionalChoice(body, 'signature', SIGNATURES),
        headers: optionalStringRecord(body, 'headers'),
        metadata: optionalObject(body, 'metadata'),
        tenant: tenantFor(ctx.scope, optionalString(body, 'tenant', 256)),
        verifyEcho: optionalBoolean(body, 'verifyEcho'),
      };
      const created = await operate(ctx, undefined, () => ctx.sender.subscriptions.create(input));
      return json(201, withSecret(created, ctx.now()), { location: ctx.link(`/subscriptions/${encodeURIComponent(created.id)}`) });
    },
  },
  {
    method: 'GET',
    path: '/subscriptions/:id',
    handle: async (ctx) => view(ctx, await visibleSubscription(ctx, ctx.params.id!)),
  },
  {
    method: 'PATCH',
    path: '/subscriptions/:id',
    async handle(ctx) {
      const { id } = await visibleSubscription(ctx, ctx.params.id!);
      const body = bodyObject(await ctx.body(), ['url', 'events', 'headers', 'metadata']);
      if (Object.keys(body).length === 0) throw invalid('body', 'give at least one of url, events, headers, metadata');
      const input = {
        url: optionalString(body, 'url'),
        events: optionalStrings(body, 'events'),
        headers: optionalStringRecord(body, 'headers'),
        metadata: optionalObject(body, 'metadata'),
      };
      return view(ctx, await operate(ctx, id, () => ctx.sender.subscriptions.update(id, input)));
    },
  },
  {
    method: 'DELETE',
    path: '/subscriptions/:id',
    async handle(ctx) {
      const { id } = await visibleSubscription(ctx, ctx.params.id!);
      if (!(await ctx.sender.subscriptions.delete(id))) throw notFound('subscription', id);
      return json(204, null);
    },
  },
  action('/subscriptions/:id/pause', 'pause'),
  action('/subscriptions/:id/resume', 'resume'),
  action('/subscriptions/:id/enable', 'enable'),
  {
    method: 'POST',
    path: '/subscriptions/:id/rotate-secret',
    async handle(ctx) {
      const { id } = await visibleSubscription(ctx, ctx.params.id!);
      const body = bodyObject(await ctx.body(), ['secret', 'signature', 'graceMs']);
      const options = {
        secret: optionalString(body, 'secret', 512),
        signature: optionalChoice(body, 'signature', SIGNATURES),
        graceMs: optionalNonNegativeInteger(body, 'graceMs'),
      };
      const rotated = await operate(ctx, id, () => ctx.sender.subscriptions.rotateSecret(id, options));
      return json(200, withSecret(rotated, ctx.now()));
    },
  },
];
