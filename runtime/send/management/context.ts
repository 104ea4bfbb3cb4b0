import type { Delivery, Message, PublishResult, ReplayQuery, Store, Subscription } from '../../store/types.js';
import type { PublishOptions } from '../sender.js';
import type { Subscriptions } from '../subscriptions.js';
import { ApiError, notFound } from './http.js';

/** What a route needs of the sender; `publish` untyped, since names arrive as strings over HTTP. */
export interface ManagedSender {
  store: Store;
  subscriptions: Subscriptions;
  publish(type: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
  replay(query: ReplayQuery): Promise<number>;
}

/** The caller's reach: one tenant, or every tenant when `tenant` is undefined (an administrator). */
export interface Scope {
  tenant?: string;
}

export interface RouteContext {
  sender: ManagedSender;
  scope: Scope;
  params: Record<string, string>;
  url: URL;
  /** The parsed JSON body (undefined when empty), read on first use. */
  body(): Promise<unknown>;
  now(): number;
  /** The path of a resource as the caller addresses it (basePath included), for Location headers. */
  link(path: string): string;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Segments; `:name` captures one. */
  path: string;
  handle(ctx: RouteContext): Promise<Response>;
}

/**
 * Lookups within the caller's tenant. An object of another tenant is answered exactly as one that
 * does not exist (404), so a tenant-scoped caller cannot even learn that an id is in use.
 */
export const inScope = (scope: Scope, tenant: string) => scope.tenant === undefined || scope.tenant === tenant;

export async function visibleSubscription(ctx: RouteContext, id: string): Promise<Subscription> {
  const s = await ctx.sender.store.getSubscription(id);
  if (!s || !inScope(ctx.scope, s.tenant)) throw notFound('subscription', id);
  return s;
}

export async function visibleMessage(ctx: RouteContext, id: string): Promise<Message> {
  const m = await ctx.sender.store.getMessage(id);
  if (!m || !inScope(ctx.scope, m.tenant)) throw notFound('message', id);
  return m;
}

/** A delivery belongs to its message's tenant (the message outlives a deleted subscription). */
export async function visibleDelivery(ctx: RouteContext, id: string): Promise<Delivery | undefined> {
  const d = await ctx.sender.store.getDelivery(id);
  if (!d) return undefined;
  if (ctx.scope.tenant === undefined) return d;
  const m = await ctx.sender.store.getMessage(d.messageId);
  return m && m.tenant === ctx.scope.tenant ? d : undefined;
}

export async function mustSeeDelivery(ctx: RouteContext, id: string): Promise<Delivery> {
  const d = await visibleDelivery(ctx, id);
  if (!d) throw notFound('delivery', id);
  return d;
}

/**
 * The tenant a new object goes to: a scoped caller's own (naming another is refused), or for an
 * administrator the one named in the body ('' when none).
 */
export function tenantFor(scope: Scope, requested: string | undefined): string {
  if (scope.tenant === undefined) return requested ?? '';
  if (requested !== undefined && requested !== scope.tenant) {
    throw new ApiError(403, 'forbidden', `tenant: this caller acts for its own tenant only`, 'tenant');
  }
  return scope.tenant;
}
