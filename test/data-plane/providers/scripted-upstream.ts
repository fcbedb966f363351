/**
 * A node:http upstream whose answer each test scripts (`upstream.handler = (req, res) => …`),
 * started once per test file; its sockets are destroyed and the pools closed after the file.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { closePools } from '../../../data-plane/providers/shared/pools.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ScriptedUpstream {
  handler: Handler;
  /** http://127.0.0.1:<port>/v1 once the file's beforeAll ran. */
  readonly baseUrl: string;
}

export function useScriptedUpstream(): ScriptedUpstream {
  let server: Server;
  const sockets = new Set<Socket>();
  const upstream = { handler: (() => {}) as Handler, baseUrl: '' };
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => upstream.handler(req, res));
    });
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    upstream.baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  });
  afterAll(async () => {
    await closePools();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return upstream;
}
