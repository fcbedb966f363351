/**
 * Child modes that are not products, only yardsticks for where time goes:
 * - `--core-sluice PORT`: Sluice's server core (uWS layer, body cap, JSON parse, shape checks,
 *   auth stage, rendering, metrics, request log) with a bare proxy stage on the product's upstream
 *   client (h1 pool) instead of the stage pipeline;
 * - `--bare [PORT]`: uWS in + JSON.parse + one undici call, body passed through as text (no PORT:
 *   a canned answer, no upstream call);
 * - `--bare-socket PORT`: the same with a minimal hand-written keep-alive socket client (no
 *   chunked decoding, no error handling): the floor of any Node proxy hop on this machine.
 */
import { connect, type Socket } from 'node:net';
import { Pool } from 'undici';
import type { RequestContext } from '../../data-plane/pipeline/types.js';
import { benchSnapshot } from './snapshot.js';

export async function runCoreSluice(upstreamPort: number): Promise<void> {
  const { startDataPlane } = await import('../../data-plane/main.js');
  const { compose } = await import('../../data-plane/pipeline/types.js');
  const { createAuthStage } = await import('../../data-plane/stages/auth.js');
  const { createLogger } = await import('../../data-plane/observability/logger.js');
  const { dataPlaneConfigFromEnv } = await import('../../data-plane/config.js');
  const { H1Pool } = await import('../../data-plane/providers/shared/h1/pool.js');
  // The product's upstream client, without the router, adapters and timers around it.
  const pool = new H1Pool(`http://127.0.0.1:${upstreamPort}`, { maxConnections: 64, connectTimeoutMs: 5_000 });
  const post = (body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const parts: Buffer[] = [];
      let status = 0;
      pool.request(
        { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body },
        {
          onHead: (s) => {
            status = s;
          },
          onData: (chunk) => parts.push(Buffer.from(chunk)),
          onComplete: () => resolve({ status, text: Buffer.concat(parts).toString('utf8') }),
          onError: reject,
        },
      );
    });
  const logger = createLogger({ logLevel: 'info', replicaId: 'bench-core' });
  const auth = createAuthStage({ logger } as never);
  const proxy = {
    name: 'bare-proxy',
    run: async (ctx: RequestContext) => {
      const r = await post(JSON.stringify(ctx.body));
      if (!ctx.stream) return { type: 'json' as const, status: r.status, body: JSON.parse(r.text) as unknown };
      // The fake upstream sends a whole stream at once: split it into chunks after the fact.
      async function* chunks() {
        for (const frame of r.text.split('\n\n')) {
          if (frame.startsWith('data: ') && frame !== 'data: [DONE]') yield JSON.parse(frame.slice(6));
        }
      }
      return { type: 'stream' as const, chunks: chunks() };
    },
  };
  const dp = await startDataPlane(
    { ...dataPlaneConfigFromEnv(), port: 0, snapshotFile: null, controlPlaneUrl: null },
    {
      snapshot: benchSnapshot(upstreamPort),
      logger,
      pipeline: { run: compose([auth, proxy]), stages: [], adminRoutes: [], clientRoutes: [], close: async () => {} },
    },
  );
  console.error(`core data plane on ${dp.url}`);
  // A normal exit on SIGTERM, so `--cpu-prof` (bench --cpu --prof) can write its profile.
  process.once('SIGTERM', () => process.exit(0));
}

type Forward = (body: string, done: (text: string) => void) => void;

function undiciForward(port: number): Forward {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64 });
  return (body, done) => {
    pool
      .request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body })
      .then((r) => r.body.text())
      .then(done, () => done('{}'));
  };
}

/**
 * Content-Length responses only, one request per connection at a time, no retry when an idle
 * socket turns out closed (that request answers '{}'). A yardstick, not a client.
 */
function socketForward(port: number): Forward {
  const idle: Socket[] = [];
  const open = (): Socket => {
    const sock = connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let buf: Buffer | null = null;
    sock.on('data', (d: Buffer) => {
      buf = buf ? Buffer.concat([buf, d]) : d;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const len = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      const text = buf.toString('utf8', end + 4, end + 4 + len);
      buf = null;
      const done = waiting.get(sock)!;
      waiting.delete(sock);
      idle.push(sock);
      done(text);
    });
    // The upstream closes idle keep-alive connections (uWS: after 10 s): forget the socket.
    sock.on('close', () => {
      const i = idle.indexOf(sock);
      if (i >= 0) idle.splice(i, 1);
      const done = waiting.get(sock);
      waiting.delete(sock);
      done?.('{}');
    });
    sock.on('error', () => {});
    return sock;
  };
  const waiting = new Map<Socket, (text: string) => void>();
  return (body, done) => {
    const sock = idle.pop() ?? open();
    waiting.set(sock, done);
    sock.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };
}

export async function runBare(upstreamPort: number | null, client: 'undici' | 'socket'): Promise<void> {
  const { uWS } = await import('../../data-plane/server/uws.js');
  const forward = upstreamPort ? (client === 'socket' ? socketForward : undiciForward)(upstreamPort) : null;
  const canned = { id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [], usage: {} };
  const app = uWS.App();
  app.post('/*', (res) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const parts: Buffer[] = [];
    res.onData((ab, last) => {
      parts.push(Buffer.from(new Uint8Array(ab)));
      if (!last) return;
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { model: string };
      const answer = (text: string) => {
        if (aborted) return;
        res.cork(() => {
          res.writeStatus('200 OK');
          res.writeHeader('content-type', 'application/json');
          res.end(text);
        });
      };
      if (!forward) answer(JSON.stringify({ ...canned, model: body.model }));
      else forward(JSON.stringify(body), answer);
    });
  });
  app.listen('127.0.0.1', 0, (ls) => {
    if (!ls) throw new Error('bare server could not listen');
    console.error(`BARE_URL=http://127.0.0.1:${uWS.us_socket_local_port(ls as never)}`);
  });
}
