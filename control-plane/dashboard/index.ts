/**
 * The usage dashboard and the control plane's copy of the usage API, as routes for
 * startControlPlane({ extraRoutes }). The page is static HTML + JS (no build step) that reads
 * GET /v1/usage and GET /v1/usage/burn with the admin token the user enters (kept in the browser's
 * localStorage; a "#token=…" URL fragment also works and is never sent to the server).
 *
 *   const usage = createUsageQueryService({ dataDir, clickhouseUrl });
 *   let cp: ControlPlaneHandle | undefined;
 *   cp = await startControlPlane({ configDir, port, extraRoutes: dashboardRoutes({ usage, snapshot: () => cp?.current() ?? null }) });
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../../common/snapshot.js';
import { handleBurn, handleUsage, type UsageApiResponse } from '../../data-plane/usage/api/handlers.js';
import type { UsageQueryService } from '../../data-plane/usage/query/service.js';
import { isAdmin } from '../server/auth.js';
import type { HttpRequestInfo, HttpResult, HttpRoute } from '../server/types.js';

export interface DashboardOptions {
  usage: UsageQueryService;
  /** The control plane's current snapshot (admin token hashes, budget nodes). */
  snapshot: () => Snapshot | null;
}

const here = dirname(fileURLToPath(import.meta.url));
// Read once at start-up: serving the page never touches the disk.
const PAGE = readFileSync(join(here, 'page.html'));
const APP = readFileSync(join(here, 'app.js'));
const STYLE = readFileSync(join(here, 'style.css'));

const asset = (path: string, body: Buffer, contentType: string): HttpRoute => ({
  method: 'GET',
  path,
  handler: async () => ({ status: 200, body, contentType }),
});

const jsonResult = (r: UsageApiResponse): HttpResult => ({
  status: r.status,
  body: JSON.stringify(r.body),
  contentType: 'application/json',
});

const errorJson = (status: number, code: string, message: string): HttpResult =>
  jsonResult({ status, body: { error: { message, type: 'invalid_request_error', code, param: null } } });

/** GET /v1/usage and /v1/usage/burn on the control plane, admin-token authenticated. */
export function usageApiRoutes(opts: DashboardOptions): HttpRoute[] {
  const guarded =
    (fn: (req: HttpRequestInfo, snapshot: Snapshot) => Promise<UsageApiResponse>) =>
    async (req: HttpRequestInfo): Promise<HttpResult> => {
      const snapshot = opts.snapshot();
      if (!snapshot) return errorJson(503, 'no_snapshot', 'no valid snapshot yet; see /v1/status');
      if (!isAdmin(req.headers, snapshot.gateway.adminKeyHashes)) {
        return errorJson(401, 'invalid_admin_token', 'admin token required (Authorization: Bearer …)');
      }
      try {
        return jsonResult(await fn(req, snapshot));
      } catch (err) {
        return errorJson(502, 'usage_store_unavailable', `usage store error: ${(err as Error).message}`);
      }
    };
  return [
    { method: 'GET', path: '/v1/usage', handler: guarded((req) => handleUsage(opts.usage, req.query)) },
    {
      method: 'GET',
      path: '/v1/usage/burn',
      handler: guarded((req, snapshot) => handleBurn(opts.usage, req.query, snapshot)),
    },
  ];
}

/** The dashboard page, its assets, and the usage API it reads. */
export function dashboardRoutes(opts: DashboardOptions): HttpRoute[] {
  return [
    asset('/dashboard', PAGE, 'text/html; charset=utf-8'),
    asset('/dashboard/', PAGE, 'text/html; charset=utf-8'),
    asset('/dashboard/app.js', APP, 'text/javascript; charset=utf-8'),
    asset('/dashboard/style.css', STYLE, 'text/css; charset=utf-8'),
    ...usageApiRoutes(opts),
  ];
}
