/** Small network helpers of the launcher: a free-port probe and a wait for a TCP service. */
import { connect, createServer } from 'node:net';

/** A port that was free a moment ago (the caller binds it next; a lost race fails loudly). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends `probe` and resolves true when the reply contains `expect` (e.g. Redis PING → +PONG). */
export function tcpProbe(
  host: string,
  port: number,
  probe: string,
  expect: string,
  timeoutMs = 1_000,
): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = connect({ host, port }, () => socket.write(probe));
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes(expect)) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(reply.includes(expect)));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
