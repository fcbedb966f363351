import type { AdminRoute } from '../pipeline/deps.js';
import type { CacheService } from './service.js';

const bad = (message: string) => ({
  status: 400,
  body: { error: { message, type: 'invalid_request_error', code: 'invalid_cache_request', param: null } },
});

const optString = (body: Record<string, unknown>, field: string): string | null | undefined => {
  const v = body[field];
  if (v === undefined || v === null) return null;
  return typeof v === 'string' && v.length > 0 ? v : undefined;
};

/**
 * POST /admin/cache/purge     {"namespace"?: "team:search", "route"?: "gpt-4o", "all"?: true}
 * POST /admin/cache/feedback  {"request_id": "..."} or {"entry_id": "..."}
 * GET  /admin/cache/stats
 */
export function cacheAdminRoutes(service: CacheService): AdminRoute[] {
  return [
    {
      method: 'POST',
      path: '/admin/cache/purge',
      async handler(req) {
        const body = (req.body ?? {}) as Record<string, unknown>;
        if (typeof body !== 'object' || Array.isArray(body)) return bad('body must be a JSON object');
        const namespace = optString(body, 'namespace');
        const route = optString(body, 'route');
        if (namespace === undefined) return bad('"namespace" must be a non-empty string, e.g. "team:search"');
        if (route === undefined) return bad('"route" must be a non-empty string');
        if (namespace === null && route === null && body.all !== true) {
          return bad('name a "namespace" and/or a "route", or pass "all": true to purge everything');
        }
        const purged = await service.purge(namespace, route);
        return { status: 200, body: { purged, namespace, route } };
      },
    },
    {
      method: 'POST',
      path: '/admin/cache/feedback',
      async handler(req) {
        const body = (req.body ?? {}) as Record<string, unknown>;
        if (typeof body !== 'object' || Array.isArray(body)) return bad('body must be a JSON object');
        const requestId = optString(body, 'request_id');
        const entryId = optString(body, 'entry_id');
        if (requestId === undefined || entryId === undefined || (requestId === null && entryId === null)) {
          return bad('pass "request_id" (x-request-id of the wrong answer) or "entry_id" (x-sluice-cache-entry)');
        }
        const result = await service.feedback({ requestId: requestId ?? undefined, entryId: entryId ?? undefined });
        if (!result) {
          return {
            status: 404,
            body: {
              error: {
                message: 'no cache hit known for that request/entry (expired, purged, or not a cache hit)',
                type: 'invalid_request_error',
                code: 'cache_entry_not_found',
                param: requestId ? 'request_id' : 'entry_id',
              },
            },
          };
        }
        return { status: 200, body: { evicted: true, entry_id: result.entryId, tier: result.tier } };
      },
    },
    {
      method: 'GET',
      path: '/admin/cache/stats',
      async handler() {
        return { status: 200, body: await service.stats() };
      },
    },
  ];
}
