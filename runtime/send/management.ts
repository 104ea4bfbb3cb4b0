import type { EventKey, Provider } from '../provider.js';
import type { Sender } from './sender.js';
import type { ManagedSender, Route, RouteContext, Scope } from './management/context.js';
import { deliveryRoutes } from './management/delivery-routes.js';
import { ApiError, errorResponse, readJson } from './management/http.js';
import { messageRoutes } from './management/message-routes.js';
import { subscriptionRoutes } from './management/subscription-routes.js';

/**
 * What `authorize` answers: `false` (no or bad credentials: 401), `'forbidden'` (known caller, no
 * access: 403), or the caller's reach. `{ tenant: 'acme' }` confines every operation to tenant
 * `acme` ('' is the tenant of objects created without one); `{}` reaches every tenant (an administrator).
 */
export type ManagementAccess = false | 'forbidden' | { tenant?: string };

export interface ManagementOptions {
  /** Required: decides who may call, and for which tenant. Runs before anything else, on every request. */
  authorize: (request: Request) => ManagementAccess | Promise<ManagementAccess>;
  /** Where the API is mounted (`/admin/webhooks`); requests outside it answer 404. Default: `/`. */
  basePath?: string;
  /** Largest request body, in bytes (default 1 MiB): larger ones answer 413 unread. */
  maxBodyBytes?: number;
  /** Failures answered as 500 (a database down…): the caller sees no detail; this sees the error. */
  onError?: (error: unknown, request: Request) => unknown;
  /** The time, for secrets' grace periods in answers (default `Date.now`; pass the sender's test clock). */
  now?: () => number;
}

const ROUTES: Route[] = [...subscriptionRoutes, ...messageRoutes, ...deliveryRoutes];

interface Match {
  route: Route;
  params: Record<string, string>;
}

function match(path: string): { found: Match[]; methods: string[] } {
  const segments = path.split('/').filter(Boolean);
  const found: Match[] = [];
  for (const route of ROUTES) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((p, i) => {
      if (!p.startsWith(':')) return p === segments[i];
      try {
        params[p.slice(1)] = decodeURIComponent(segments[i]!);
        return true;
      } catch {
        return false; // malformed %-escape: no such resource
      }
    });
    if (ok) found.push({ route, params });
  }
  return { found, methods: [...new Set(found.map((m) => m.route.method))] };
}

function normaliseBase(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').replace(/\/+$/, '');
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/**
 * The management API as a web-standard handler, `(Request) => Promise<Response>`: mount it in Hono,
 * Next.js, Bun or Deno as is, or in node:http and Express through the fetch adapters. REST over JSON
 * for subscriptions, publishing, deliveries and replays; see docs/sending.md for the routes.
 */
export function createManagementHandler<P extends Provider<object, unknown>>(sender: Sender<P>, options: ManagementOptions) {
  if (typeof options?.authorize !== 'function') throw new TypeError('createManagementHandler: `authorize` is required (return { } for full access)');
  const base = normaliseBase(options.basePath);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const now = options.now ?? Date.now;
  const managed: ManagedSender = {
    store: sender.store,
    subscriptions: sender.subscriptions,
    publish: (type, data, publishOptions) => sender.publish(type as EventKey<P>, data as never, publishOptions),
    replay: (query) => sender.replay(query),
  };

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (base && url.pathname !== base && !url.pathname.startsWith(`${base}/`)) throw new ApiError(404, 'not_found', `no route ${url.pathname}`);
    const access = await options.authorize(request);
    if (access === false) throw new ApiError(401, 'unauthorized', 'missing or invalid credentials');
    if (access === 'forbidden') throw new ApiError(403, 'forbidden', 'these credentials do not give access to this API');
    if (access === null || typeof access !== 'object') throw new Error('authorize must return false, "forbidden" or { tenant? }');
    if (access.tenant !== undefined && typeof access.tenant !== 'string') throw new Error('authorize returned a tenant that is not a string');

    const path = url.pathname.slice(base.length) || '/';
    const { found, methods } = match(path);
    if (found.length === 0) throw new ApiError(404, 'not_found', `no route ${url.pathname}`);
    const method = request.method.toUpperCase(); // fetch leaves `patch` in lower case
    const hit = found.find((m) => m.route.method === method);
    if (!hit) throw new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}; use ${methods.join(', ')}`, undefined, { allow: methods.join(', ') });

    let body: Promise<unknown> | undefined;
    const scope: Scope = access.tenant === undefined ? {} : { tenant: access.tenant };
    const ctx: RouteContext = {
      sender: managed, scope, params: hit.params, url, now,
      body: () => (body ??= readJson(request, maxBodyBytes)),
      link: (p) => `${base}${p}`,
    };
    return hit.route.handle(ctx);
  }

  return async (request: Request): Promise<Response> => {
    try {
      return await handle(request);
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      try {
        options.onError?.(error, request);
      } catch {
        // a failing reporter must not turn a 500 into a crash
      }
      return errorResponse(new ApiError(500, 'internal', 'the request failed on the server'));
    }
  };
}
