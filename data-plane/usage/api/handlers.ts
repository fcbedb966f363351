/**
 * The usage API's two endpoints as plain functions, mounted by the data plane (admin routes of the
 * accounting stage) and by the control plane (next to the dashboard):
 *   GET /v1/usage       filters from,to,key,team,org,model,provider,route,status,tag=k=v;
 *                       group_by=key,team,org,model,provider,route,endpoint,status,cache_tier,tag:<name>;
 *                       granularity=minute|hour|day; limit
 *   GET /v1/usage/burn  node=<id>[,<id>…] (default: every node with a budget); window=<ms> (default 1 h)
 */
import type { Snapshot } from '../../../common/snapshot.js';
import { parseUsageQuery } from '../query/parse.js';
import type { UsageQueryService } from '../query/service.js';
import { UsageQueryError } from '../query/types.js';

export interface UsageApiResponse {
  status: number;
  body: unknown;
}

const badRequest = (message: string): UsageApiResponse => ({
  status: 400,
  body: { error: { message, type: 'invalid_request_error', code: 'invalid_usage_query', param: null } },
});

export async function handleUsage(service: UsageQueryService, query: URLSearchParams): Promise<UsageApiResponse> {
  try {
    return { status: 200, body: await service.query(parseUsageQuery(query)) };
  } catch (err) {
    if (err instanceof UsageQueryError) return badRequest(err.message);
    throw err;
  }
}

export async function handleBurn(
  service: UsageQueryService,
  query: URLSearchParams,
  snapshot: Snapshot | null,
): Promise<UsageApiResponse> {
  if (!snapshot) {
    return {
      status: 503,
      body: {
        error: { message: 'no snapshot loaded yet', type: 'service_unavailable', code: 'no_snapshot', param: null },
      },
    };
  }
  const nodes = query
    .getAll('node')
    .flatMap((v) => v.split(','))
    .filter(Boolean);
  const unknown = nodes.filter((n) => !snapshot.nodes[n]);
  if (unknown.length > 0) return badRequest(`unknown node(s): ${unknown.join(', ')}`);
  const windowText = query.get('window');
  const windowMs = windowText ? Number(windowText) : 3_600_000;
  if (!Number.isInteger(windowMs) || windowMs < 60_000 || windowMs > 31 * 86_400_000) {
    return badRequest('window must be an integer number of ms between 60000 and 31 days');
  }
  const result = await service.burn(snapshot, { windowMs, ...(nodes.length > 0 ? { nodes } : {}) });
  return { status: 200, body: result };
}
