/**
 * A tiny round-robin TCP load balancer (node:net) so a local cluster has one URL, like the
 * Service in front of the Kubernetes deployment. Balancing is per connection (a keep-alive
 * connection stays on its replica); a replica that refuses the connection is skipped and the
 * next one tried, so killing a replica does not fail new connections. Not for production: no
 * health checks beyond connect, no TLS, no connection limits.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export interface Balancer {
  url: string;
  port: number;
  /** Connections handed to each backend ("host:port" → count). */
  readonly counts: Map<string, number>;
  close(): Promise<void>;
}

const BAD_GATEWAY_BODY = JSON.stringify({
  error: { message: 'no data-plane replica accepted the connection', type: 'server_error', code: 'no_backend' },
});
const BAD_GATEWAY =
  'HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\nconnection: close\r\n' +
  `content-length: ${Buffer.byteLength(BAD_GATEWAY_BODY)}\r\n\r\n${BAD_GATEWAY_BODY}`;

export async function startBalancer(opts: {
  host: string;
  port: number;
  backends: () => Backend[];
  connectTimeoutMs?: number;
}): Promise<Balancer> {
  let next = 0;
  const sockets = new Set<Socket>();
  const counts = new Map<string, number>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const tryConnect = (b: Backend): Promise<Socket | null> =>
    new Promise((resolve) => {
      const upstream = connect({ host: b.host, port: b.port });
      upstream.setTimeout(opts.connectTimeoutMs ?? 2_000, () => upstream.destroy());
      upstream.once('connect', () => {
        upstream.setTimeout(0);
        upstream.removeAllListeners('error');
        resolve(upstream);
      });
      upstream.once('error', () => resolve(null));
      upstream.once('close', () => resolve(null));
    });

  const server = createServer((client) => {
    track(client);
    // Hold the request bytes until a backend is connected.
    client.pause();
    client.on('error', () => client.destroy());
    void (async () => {
      const list = opts.backends();
      for (let i = 0; i < list.length && !client.destroyed; i++) {
        const backend = list[next++ % list.length]!;
        const upstream = await tryConnect(backend);
        if (!upstream) continue;
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        track(upstream);
        const id = `${backend.host}:${backend.port}`;
        counts.set(id, (counts.get(id) ?? 0) + 1);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        return;
      }
      if (!client.destroyed) client.end(BAD_GATEWAY);
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${opts.host}:${port}`,
    port,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
