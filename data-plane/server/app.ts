/**
 * The uWebSockets.js HTTP server: route table, listen, graceful close. Request handling lives in
 * inference.ts (pipeline requests), extra-routes.ts (stage-contributed routes), info-routes.ts.
 */
import { anthropicIngress } from '../ingress/anthropic.js';
import { chatIngress, embeddingsIngress } from '../ingress/openai.js';
import type { Ingress } from '../ingress/types.js';
import type { ServerDeps } from './deps.js';
import { Exchange } from './exchange.js';
import { serveAdminRoute, serveClientRoute } from './extra-routes.js';
import { serveInference } from './inference.js';
import { serveHealth, serveMetrics, serveModels, serveReady } from './info-routes.js';
import {
  assertNativeUws,
  type HttpRequest,
  type HttpResponse,
  type UwsApp,
  type us_listen_socket,
  uWS,
} from './uws.js';

export interface HttpServer {
  readonly port: number;
  /** Stops accepting new connections; requests in flight continue. */
  stopAccepting(): void;
  /** Closes every remaining connection. */
  closeAll(): void;
}

type Handler = (ex: Exchange) => void;

const METHODS = { GET: 'get', POST: 'post', DELETE: 'del' } as const;

export async function startHttpServer(deps: ServerDeps, host: string, port: number): Promise<HttpServer> {
  assertNativeUws();
  const app = uWS.App() as UwsApp;
  const on = (method: keyof typeof METHODS, pattern: string, handler: Handler) => {
    app[METHODS[method]](pattern, (res: HttpResponse, req: HttpRequest) => {
      const ex = new Exchange(res, req);
      try {
        handler(ex);
      } catch (err) {
        deps.logger.error({ err, reqId: ex.requestId }, 'route handler threw');
        ex.sendJson(500, {
          error: { message: 'Internal error', type: 'api_error', code: 'internal_error', param: null },
        });
      }
    });
  };

  const inference =
    (ingress: Ingress): Handler =>
    (ex) =>
      serveInference(ex, ingress, deps);
  on('POST', '/v1/chat/completions', inference(chatIngress));
  on('POST', '/v1/embeddings', inference(embeddingsIngress));
  on('POST', '/v1/messages', inference(anthropicIngress));
  on('GET', '/v1/models', (ex) => serveModels(ex, deps));
  on('GET', '/healthz', serveHealth);
  on('GET', '/readyz', (ex) => serveReady(ex, deps));
  on('GET', '/metrics', (ex) => serveMetrics(ex, deps));
  for (const route of deps.pipeline.adminRoutes) {
    on(route.method, route.path, (ex) => serveAdminRoute(ex, route, deps));
  }
  for (const route of deps.pipeline.clientRoutes) {
    const pattern = route.pathPrefix.endsWith('/') ? `${route.pathPrefix}*` : `${route.pathPrefix}/*`;
    on(route.method, pattern, (ex) => serveClientRoute(ex, route, deps));
  }
  app.any('/*', (res, req) => {
    const ex = new Exchange(res, req);
    ex.sendJson(404, {
      error: {
        message: `Unknown request URL: ${ex.method} ${ex.url}`,
        type: 'invalid_request_error',
        code: 'unknown_url',
        param: null,
      },
    });
  });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (socket) resolve(socket);
      else reject(new Error(`data plane could not listen on ${host}:${port}`));
    });
  });
  let listening = true;
  const stopAccepting = () => {
    if (!listening) return;
    listening = false;
    uWS.us_listen_socket_close(listenSocket);
  };
  return {
    port: uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket),
    stopAccepting,
    closeAll() {
      stopAccepting();
      app.close();
    },
  };
}
