import type { AdminRoute } from '../../pipeline/deps.js';
import type { UsageQueryService } from '../query/service.js';
import { handleBurn, handleUsage } from './handlers.js';

/** GET /v1/usage and GET /v1/usage/burn on the data plane (the server checks the admin token). */
export function usageAdminRoutes(service: UsageQueryService): AdminRoute[] {
  return [
    { method: 'GET', path: '/v1/usage', handler: (req) => handleUsage(service, req.query) },
    { method: 'GET', path: '/v1/usage/burn', handler: (req) => handleBurn(service, req.query, req.snapshot) },
  ];
}
