/**
 * Generic mounting of the routes stages contribute: admin routes (admin token whose SHA-256 is in
 * snapshot.gateway.adminKeyHashes) and client routes (virtual key, matched by path prefix).
 * The server knows nothing about what they do.
 */
import type { Snapshot } from '../../common/snapshot.js';
import { badRequest, type GatewayError, unauthorized } from '../errors.js';
import type { AdminResponse, AdminRoute, ClientRoute } from '../pipeline/deps.js';
import { authenticateKey } from '../stages/auth.js';
import { readBody } from './body.js';
import { isAdminToken, presentedKeyHash } from './credentials.js';
import type { ServerDeps } from './deps.js';
import { snapshotNotLoaded, toGatewayError } from './errors.js';
import type { Exchange } from './exchange.js';
import { finishRequest } from './request-log.js';

type Kind = 'admin' | 'client';

export function serveAdminRoute(ex: Exchange, route: AdminRoute, deps: ServerDeps): void {
  serveExtra(ex, deps, 'admin', async (snapshot, body) => {
    if (!isAdminToken(snapshot, ex.headers))
      throw unauthorized('A valid admin token is required', 'invalid_admin_token');
    return route.handler({ query: new URLSearchParams(ex.query), body, snapshot });
  });
}

export function serveClientRoute(ex: Exchange, route: ClientRoute, deps: ServerDeps): void {
  serveExtra(ex, deps, 'client', async (snapshot) => {
    const key = authenticateKey(snapshot, presentedKeyHash(ex.headers));
    return route.handler({
      rest: ex.url.slice(route.pathPrefix.length),
      query: new URLSearchParams(ex.query),
      headers: ex.headers,
      key,
      snapshot,
      signal: ex.signal,
    });
  });
}

function serveExtra(
  ex: Exchange,
  deps: ServerDeps,
  kind: Kind,
  handle: (snapshot: Snapshot, body: unknown) => Promise<AdminResponse>,
): void {
  const snapshot = deps.snapshots.current();
  if (!snapshot) {
    fail(ex, deps, kind, snapshotNotLoaded());
    return;
  }
  const hasBody = ex.method === 'POST' || ex.method === 'DELETE';
  const bodyPromise = hasBody ? readBody(ex, snapshot.gateway.maxBodyBytes) : Promise.resolve(null);
  deps.inFlight.add(ex);
  (async () => {
    try {
      const raw = await bodyPromise;
      let body: unknown = null;
      if (raw && raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw badRequest('The request body must be valid JSON', null, 'invalid_json');
        }
      }
      const out = await handle(snapshot, body);
      const contentType = out.contentType ?? 'application/json';
      const payload =
        contentType.startsWith('application/json') || typeof out.body !== 'string'
          ? JSON.stringify(out.body)
          : out.body;
      ex.send(out.status, contentType, payload);
      finishRequest(ex, deps.logger, { endpoint: kind, ctx: null, stream: false, outcome: 'ok', error: null });
    } catch (err) {
      fail(ex, deps, kind, toGatewayError(err, deps.logger, ex.requestId));
    }
  })().finally(() => deps.inFlight.delete(ex));
}

function fail(ex: Exchange, deps: ServerDeps, kind: Kind, error: GatewayError): void {
  ex.sendJson(error.status, error.toBody(), error.headers, error.status === 413);
  finishRequest(ex, deps.logger, { endpoint: kind, ctx: null, stream: false, outcome: 'error', error });
}
