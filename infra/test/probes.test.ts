import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyScript } from '../components/control-plane.js';

/** The control plane's readiness probe script, run the way the kubelet would (`node -e …`). */
let server: Server;
let port: number;
let body = '{}';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// Async spawn: the test server lives in this process and must keep answering while the probe runs.
const probe = (p: number) =>
  new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['-e', readyScript(p)], { stdio: 'ignore', timeout: 10_000 });
    child.on('exit', (code) => resolve(code));
  });

describe('control-plane readiness probe', () => {
  it('is ready only once a snapshot version is served', async () => {
    body = JSON.stringify({ status: 'ok', version: null });
    expect(await probe(port)).toBe(1);
    body = JSON.stringify({ status: 'ok', version: 'v-3f9a1c0b2d4e5f60' });
    expect(await probe(port)).toBe(0);
  });

  it('is not ready when nothing listens or the reply is not JSON', async () => {
    body = 'not json';
    expect(await probe(port)).toBe(1);
    server.closeAllConnections();
    const unused = port === 1 ? 2 : 1;
    expect(await probe(unused)).toBe(1);
  });
});
