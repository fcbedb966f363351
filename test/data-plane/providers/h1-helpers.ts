/**
 * Helpers for the h1 client tests: a raw TCP server whose every response byte the test writes
 * itself (requests are parsed just enough to know where each one ends), and a promise wrapper
 * around H1Pool.request.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import type { HeaderBag } from '../../../data-plane/providers/shared/errors.js';
import type { Exchange } from '../../../data-plane/providers/shared/h1/exchange.js';
import type { H1Pool } from '../../../data-plane/providers/shared/h1/pool.js';
import type { H1Request } from '../../../data-plane/providers/shared/h1/request.js';

export interface RawRequest {
  head: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** 0-based index of this request on its connection. */
  index: number;
  /** 0-based index of the connection on the server. */
  conn: number;
}

export interface RawServer {
  url: string;
  port: number;
  server: Server;
  /** Connections accepted so far. */
  connections: number;
  sockets: Socket[];
  requests: RawRequest[];
  close(): Promise<void>;
}

export type Responder = (sock: Socket, req: RawRequest) => void;

/** A server that parses requests (Content-Length bodies only) and lets `respond` write raw bytes. */
export async function rawServer(respond: Responder): Promise<RawServer> {
  const state: RawServer = {
    url: '',
    port: 0,
    server: createServer(),
    connections: 0,
    sockets: [],
    requests: [],
    close: async () => {
      for (const s of state.sockets) s.destroy();
      await new Promise<void>((r) => state.server.close(() => r()));
    },
  };
  state.server.on('connection', (sock) => {
    const conn = state.connections++;
    state.sockets.push(sock);
    sock.setNoDelay(true);
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let index = 0;
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.toString('latin1', 0, end);
        const lines = head.split('\r\n');
        const [method, path] = lines[0]!.split(' ') as [string, string];
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const c = l.indexOf(':');
          headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
        }
        const len = Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.toString('utf8', end + 4, end + 4 + len);
        buf = buf.subarray(end + 4 + len);
        const req = { head, method, path, headers, body, index: index++, conn };
        state.requests.push(req);
        respond(sock, req);
      }
    });
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', () => r()));
  const addr = state.server.address();
  state.port = typeof addr === 'object' && addr ? addr.port : 0;
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}

/** A fixed Content-Length response. */
export function okResponse(body: string, extra = ''): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

export interface Reply {
  status: number;
  headers: HeaderBag;
  body: string;
  chunks: number;
}

/** Sends one request and collects the whole response. */
export function send(pool: H1Pool, req: Partial<H1Request> = {}, onExchange?: (ex: Exchange) => void): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const parts: Buffer[] = [];
    let status = 0;
    let headers: HeaderBag = {};
    const ex = pool.request(
      { method: 'POST', path: '/v1/x', headers: { 'content-type': 'application/json' }, body: '{}', ...req },
      {
        onHead: (s, h) => {
          status = s;
          headers = h;
        },
        onData: (c) => parts.push(Buffer.from(c)),
        onComplete: () =>
          resolve({ status, headers, body: Buffer.concat(parts).toString('utf8'), chunks: parts.length }),
        onError: reject,
      },
    );
    onExchange?.(ex);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Writes `data` one byte per TCP segment (Nagle off, a tick between writes). */
export async function dribble(sock: Socket, data: string | Buffer, pauseMs = 1): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  for (let i = 0; i < bytes.length; i++) {
    if (sock.destroyed) return;
    sock.write(bytes.subarray(i, i + 1));
    await sleep(pauseMs);
  }
}

/**
 * Servers, pools and clients a test opened, closed after each test — last opened first: clients
 * before the servers they talk to. Call once per file; wrap each resource in the returned track().
 */
export function useTracker(): <T extends { close(): Promise<void> | void }>(x: T) => T {
  const open: Array<{ close(): Promise<void> | void }> = [];
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await x.close();
  });
  return (x) => {
    open.push(x);
    return x;
  };
}
