/**
 * The control plane: compiles the config folder, watches it, serves status and the snapshot
 * over HTTP and pushes every new snapshot to data planes over WebSocket (uWebSockets.js).
 */

import uWS from 'uWebSockets.js';
import { resolve } from 'node:path';
import pino from 'pino';
import { ConfigState } from './config-state.js';
import { BodyTooLargeError, captureRequest, errorResult, readBody, send } from './http.js';
import { PushHub } from './push-hub.js';
import { builtInRoutes } from './routes.js';
import type { ControlPlaneHandle, HttpResult, HttpRoute, StartOptions } from './types.js';
import { watchConfig } from './watcher.js';

export type { ControlPlaneHandle, DataPlaneStatus, HttpRoute, StartOptions } from './types.js';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function startControlPlane(opts: StartOptions): Promise<ControlPlaneHandle> {
  const log = opts.logger ?? pino({ name: 'sluice-control-plane' });
  const dir = resolve(opts.configDir);
  const host = opts.host ?? '127.0.0.1';
  let hub: PushHub | null = null;
  const state = new ConfigState(dir, log, (snapshot) => hub?.broadcast(snapshot));
  await state.recompile();
  if (!state.current) log.error({ configDir: dir }, 'config invalid at start: serving no snapshot until it is fixed');
  hub = new PushHub(log, () => state.current, opts.pingIntervalMs ?? 15_000);

  const app = uWS.App();
  hub.mount(app, '/v1/snapshots');
  const routes = [...builtInRoutes(state, hub), ...(opts.extraRoutes ?? [])];
  mountRoutes(app, routes, log);

  const listenSocket = await new Promise<uWS.us_listen_socket>((ok, fail) => {
    app.listen(host, opts.port, (socket) =>
      socket ? ok(socket) : fail(new Error(`cannot listen on ${host}:${opts.port}`)),
    );
  });
  const port = uWS.us_socket_local_port(listenSocket);
  const watcher = await watchConfig(dir, opts.debounceMs ?? 200, (changed) => {
    void state.recompile(changed);
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, configDir: dir, version: state.current?.version ?? null }, 'control plane listening');

  let closed = false;
  return {
    port,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/v1/snapshots`,
    current: () => state.current,
    status: () => hub.status(),
    async close() {
      if (closed) return;
      closed = true;
      await watcher.close();
      hub.close();
      uWS.us_listen_socket_close(listenSocket);
    },
  };
}

function mountRoutes(app: uWS.TemplatedApp, routes: HttpRoute[], log: pino.Logger): void {
  const byPath = new Map<string, Map<string, HttpRoute>>();
  for (const r of routes) {
    const methods = byPath.get(r.path) ?? new Map<string, HttpRoute>();
    methods.set(r.method, r);
    byPath.set(r.path, methods);
  }
  app.any('/*', (res, req) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const isAborted = () => aborted;
    const method = req.getMethod().toUpperCase();
    const path = req.getUrl();
    const { query, headers } = captureRequest(req);
    const methods = byPath.get(path);
    const route = methods?.get(method);
    if (!route) {
      const result = methods
        ? errorResult(405, 'method_not_allowed', `${method} not allowed on ${path}`)
        : errorResult(404, 'not_found', `no route ${path}`);
      send(res, result, isAborted);
      return;
    }
    const run = async (): Promise<HttpResult> => {
      const body = method === 'POST' ? await readBody(res, MAX_BODY_BYTES, isAborted) : '';
      return route.handler({ query, headers, body });
    };
    run().then(
      (result) => send(res, result, isAborted),
      (err: unknown) => {
        if (err instanceof BodyTooLargeError) {
          send(res, errorResult(413, 'body_too_large', err.message), isAborted);
          return;
        }
        log.error({ err, path }, 'route failed');
        send(res, errorResult(500, 'internal_error', 'internal error'), isAborted);
      },
    );
  });
}
