/** The control plane's own HTTP endpoints. */
import { serializeSnapshot } from '../compile/build-snapshot.js';
import { isAdmin } from './auth.js';
import type { ConfigState } from './config-state.js';
import { errorResult, json } from './http.js';
import type { PushHub } from './push-hub.js';
import { checkPushedSnapshot } from './snapshot-check.js';
import type { HttpRoute } from './types.js';

export function builtInRoutes(state: ConfigState, hub: PushHub): HttpRoute[] {
  const adminHashes = () => state.current?.gateway.adminKeyHashes ?? [];
  return [
    {
      method: 'GET',
      path: '/healthz',
      handler: async () => json(200, { status: 'ok', version: state.current?.version ?? null }),
    },
    {
      method: 'GET',
      path: '/v1/status',
      handler: async () =>
        json(200, {
          version: state.current?.version ?? null,
          origin: state.origin,
          lastCompile: state.lastCompile,
          dataPlanes: hub.status(),
        }),
    },
    {
      method: 'GET',
      path: '/v1/snapshot',
      handler: async (req) => {
        if (!state.current) return errorResult(404, 'no_snapshot', 'no valid snapshot yet; see /v1/status');
        if (adminHashes().length > 0 && !isAdmin(req.headers, adminHashes())) {
          return errorResult(401, 'unauthorized', 'admin token required (Authorization: Bearer …)');
        }
        return { status: 200, body: serializeSnapshot(state.current), contentType: 'application/json' };
      },
    },
    {
      method: 'POST',
      path: '/v1/snapshot',
      handler: async (req) => {
        // Without a valid snapshot there is no admin list to check against: refuse rather than trust the caller.
        if (adminHashes().length === 0) {
          return errorResult(503, 'no_admin_keys', 'the current snapshot has no admin_key_hashes; apply is disabled');
        }
        if (!isAdmin(req.headers, adminHashes())) {
          return errorResult(401, 'unauthorized', 'admin token required (Authorization: Bearer …)');
        }
        let value: unknown;
        try {
          value = JSON.parse(req.body);
        } catch {
          return errorResult(400, 'invalid_json', 'body is not JSON');
        }
        const checked = checkPushedSnapshot(value);
        if (!checked.ok) return errorResult(422, 'invalid_snapshot', checked.reason);
        const changed = state.apply(checked.snapshot);
        return json(200, {
          version: checked.snapshot.version,
          changed,
          dataPlanes: hub.status().filter((s) => s.connected).length,
        });
      },
    },
  ];
}
