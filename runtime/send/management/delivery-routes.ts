import type { DeliveryCursor, DeliveryQuery, DeliveryStatus } from '../../store/types.js';
import { mustSeeDelivery, type Route, type RouteContext, visibleDelivery } from './context.js';
import { ApiError, invalid, json, notFound } from './http.js';
import { bodyObject, parseTime, queryParams } from './input.js';
import { attemptView, deliveryView } from './views.js';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'inflight', 'succeeded', 'failed', 'cancelled'];
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const MAX_REPLAY_IDS = 1000;

/** Cursors are opaque to clients: base64url of the last row's sort key. */
const encodeCursor = (c: DeliveryCursor) => Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');

function decodeCursor(text: string): DeliveryCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'number' && Number.isSafeInteger(createdAt) && typeof id === 'string') return { createdAt, id };
  } catch {
    // reported below, as any other malformed cursor
  }
  throw invalid('cursor', 'not a cursor from a previous page (pass `nextCursor` as it came)');
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_LIMIT) throw invalid('limit', `expected an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

async function listPage(ctx: RouteContext): Promise<Response> {
  const q = queryParams(ctx.url, ['subscription', 'message', 'status', 'since', 'until', 'tenant', 'limit', 'cursor']);
  const status = q.get('status');
  if (status !== undefined && !STATUSES.includes(status as DeliveryStatus)) throw invalid('status', `expected one of ${STATUSES.join(', ')}`);
  const tenant = q.get('tenant');
  if (ctx.scope.tenant !== undefined && tenant !== undefined && tenant !== ctx.scope.tenant) return json(200, { data: [], nextCursor: null });
  const limit = parseLimit(q.get('limit'));
  const cursor = q.get('cursor');
  const query: DeliveryQuery = {
    order: 'desc',
    limit: limit + 1, // one more than asked tells whether another page exists
    ...(q.has('subscription') ? { subscriptionId: q.get('subscription')! } : {}),
    ...(q.has('message') ? { messageId: q.get('message')! } : {}),
    ...(status !== undefined ? { status: status as DeliveryStatus } : {}),
    ...(q.has('since') ? { since: parseTime(q.get('since'), 'since') } : {}),
    ...(q.has('until') ? { until: parseTime(q.get('until'), 'until') } : {}),
    ...(ctx.scope.tenant ?? tenant) !== undefined ? { tenant: (ctx.scope.tenant ?? tenant)! } : {},
    ...(cursor !== undefined ? { after: decodeCursor(cursor) } : {}),
  };
  const rows = await ctx.sender.store.listDeliveries(query);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return json(200, { data: page.map(deliveryView), nextCursor: rows.length > limit && last ? encodeCursor(last) : null });
}

/** Every failed delivery of the caller's tenant changed since `since`, replayed page by page. */
async function replayFailedOfTenant(ctx: RouteContext, tenant: string, since: number): Promise<number> {
  let replayed = 0;
  let after: DeliveryCursor | undefined;
  for (;;) {
    const page = await ctx.sender.store.listDeliveries({ tenant, status: 'failed', updatedSince: since, order: 'asc', limit: 500, ...(after ? { after } : {}) });
    if (page.length === 0) return replayed;
    replayed += await ctx.sender.replay({ deliveryIds: page.map((d) => d.id) });
    after = page[page.length - 1]!;
  }
}

export const deliveryRoutes: Route[] = [
  { method: 'GET', path: '/deliveries', handle: listPage },
  {
    method: 'GET',
    path: '/deliveries/:id',
    handle: async (ctx) => json(200, deliveryView(await mustSeeDelivery(ctx, ctx.params.id!))),
  },
  {
    method: 'GET',
    path: '/deliveries/:id/attempts',
    async handle(ctx) {
      const { id } = await mustSeeDelivery(ctx, ctx.params.id!);
      return json(200, { data: (await ctx.sender.store.listAttempts(id)).map(attemptView) });
    },
  },
  {
    method: 'POST',
    path: '/deliveries/:id/replay',
    async handle(ctx) {
      const d = await mustSeeDelivery(ctx, ctx.params.id!);
      bodyObject(await ctx.body(), []);
      const conflict = () => new ApiError(409, 'conflict', `delivery \`${d.id}\` is ${d.status}: only succeeded or failed deliveries are replayed`);
      if (d.status !== 'succeeded' && d.status !== 'failed') throw conflict();
      // 0 means another caller (or replay) moved it first: it is no longer finished.
      if ((await ctx.sender.replay({ deliveryIds: [d.id] })) === 0) throw conflict();
      return json(202, { replayed: 1 });
    },
  },
  {
    method: 'POST',
    path: '/replay',
    async handle(ctx) {
      const body = bodyObject(await ctx.body(), ['deliveryIds', 'failedSince']);
      const hasIds = body.deliveryIds !== undefined;
      if (hasIds === (body.failedSince !== undefined)) throw invalid('body', 'give either deliveryIds or failedSince');
      if (!hasIds) {
        const since = parseTime(body.failedSince, 'failedSince');
        const replayed = ctx.scope.tenant === undefined
          ? await ctx.sender.replay({ failedSince: since })
          : await replayFailedOfTenant(ctx, ctx.scope.tenant, since);
        return json(202, { replayed });
      }
      const ids = body.deliveryIds;
      if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string')) throw invalid('deliveryIds', 'expected a non-empty array of delivery ids');
      if (ids.length > MAX_REPLAY_IDS) throw invalid('deliveryIds', `at most ${MAX_REPLAY_IDS} ids a request`);
      const unique = [...new Set(ids as string[])];
      // All or nothing: an id the caller cannot see refuses the whole request, and says which.
      const seen = await Promise.all(unique.map((id) => visibleDelivery(ctx, id)));
      const missing = unique.filter((_, i) => !seen[i]);
      if (missing.length > 0) throw notFound(missing.length === 1 ? 'delivery' : 'deliveries', missing.join('`, `'));
      // Pending and in-flight ones are on their way already; the count says how many were sent again.
      return json(202, { replayed: await ctx.sender.replay({ deliveryIds: unique }) });
    },
  },
];
