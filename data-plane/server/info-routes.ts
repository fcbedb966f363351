/** GET /v1/models, /healthz, /readyz, /metrics. */
import type { GatewayError } from '../errors.js';
import { metricsRegistry } from '../observability/metrics.js';
import { authenticateKey, keyMayUse } from '../stages/auth.js';
import { presentedKeyHash } from './credentials.js';
import type { ServerDeps } from './deps.js';
import { snapshotNotLoaded, toGatewayError } from './errors.js';
import type { Exchange } from './exchange.js';
import { finishRequest } from './request-log.js';

/** The routes this key may call, in OpenAI's list shape (plus the route kind). */
export function serveModels(ex: Exchange, deps: ServerDeps): void {
  const snapshot = deps.snapshots.current();
  let error: GatewayError | null = null;
  try {
    if (!snapshot) throw snapshotNotLoaded();
    const key = authenticateKey(snapshot, presentedKeyHash(ex.headers));
    const created = Math.floor(Date.now() / 1000);
    const data = Object.values(snapshot.routes)
      .filter((r) => keyMayUse(key, r.name))
      .map((r) => ({ id: r.name, object: 'model', created, owned_by: 'sluice', kind: r.kind }));
    ex.sendJson(200, { object: 'list', data });
  } catch (err) {
    error = toGatewayError(err, deps.logger, ex.requestId);
    ex.sendJson(error.status, error.toBody(), error.headers);
  }
  finishRequest(ex, deps.logger, {
    endpoint: 'models',
    ctx: null,
    stream: false,
    outcome: error ? 'error' : 'ok',
    error,
  });
}

export function serveHealth(ex: Exchange): void {
  ex.sendJson(200, { status: 'ok' });
}

export function serveReady(ex: Exchange, deps: ServerDeps): void {
  const snapshot = deps.snapshots.current();
  if (snapshot) ex.sendJson(200, { status: 'ready', snapshot: snapshot.version });
  else ex.sendJson(503, { status: 'not_ready', reason: 'no snapshot loaded yet' }, { 'retry-after': '1' });
}

export function serveMetrics(ex: Exchange, deps: ServerDeps): void {
  metricsRegistry.metrics().then(
    (text) => ex.send(200, metricsRegistry.contentType, text),
    (err: unknown) => {
      deps.logger.error({ err }, 'rendering metrics failed');
      ex.send(500, 'text/plain', 'metrics unavailable');
    },
  );
}
