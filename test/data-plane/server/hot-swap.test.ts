import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Snapshot } from '../../../common/snapshot.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { makeSnapshot, route } from '../../helpers/snapshot.js';
import { AUTH, chatBody, completion, scripted, sleep, testPipeline, waitFor } from './fixtures.js';

type Msg = { type: string; version?: string | null; replicaId?: string; reason?: string };

/** A tiny control plane speaking the push protocol. */
class FakeControlPlane {
  server!: WebSocketServer;
  port = 0;
  received: Msg[] = [];
  sockets = new Set<WebSocket>();

  async start(port = 0): Promise<void> {
    this.server = new WebSocketServer({ host: '127.0.0.1', port, path: '/v1/snapshots' });
    await new Promise<void>((r) => this.server.once('listening', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    this.server.on('connection', (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (d) => this.received.push(JSON.parse(d.toString()) as Msg));
    });
  }

  get url() {
    return `ws://127.0.0.1:${this.port}/v1/snapshots`;
  }

  push(snapshot: unknown, version = (snapshot as Snapshot).version) {
    for (const ws of this.sockets) ws.send(JSON.stringify({ type: 'snapshot', version, snapshot }));
  }

  send(msg: unknown) {
    for (const ws of this.sockets) ws.send(JSON.stringify(msg));
  }

  async waitFor(pred: (m: Msg) => boolean, what: string): Promise<Msg> {
    await waitFor(() => this.received.some(pred), 5_000, what);
    return this.received.find(pred)!;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('control-plane push channel', () => {
  const cp = new FakeControlPlane();
  let dp: TestDataPlane;

  beforeAll(async () => {
    await cp.start();
    dp = await startTestDataPlane({
      pipeline: testPipeline(scripted()),
      config: { controlPlaneUrl: cp.url, replicaId: 'replica-under-test' },
    });
  });
  afterAll(async () => {
    await dp.close();
    await cp.stop();
  });

  it('says hello with its replica id and no version, then ACKs a pushed snapshot and becomes ready', async () => {
    const hello = await cp.waitFor((m) => m.type === 'hello', 'hello');
    expect(hello).toEqual({ type: 'hello', replicaId: 'replica-under-test', version: null });
    expect((await fetch(`${dp.url}/readyz`)).status).toBe(503);
    const s1 = makeSnapshot({ version: 'v-one' });
    cp.push(s1);
    await cp.waitFor((m) => m.type === 'ack' && m.version === 'v-one', 'ack v-one');
    expect(dp.snapshot()?.version).toBe('v-one');
    expect((await fetch(`${dp.url}/readyz`)).status).toBe(200);
    const res = await fetch(`${dp.url}/v1/chat/completions`, { method: 'POST', headers: AUTH, body: chatBody() });
    expect(res.status).toBe(200);
  });

  it('NACKs an invalid snapshot with the reason and keeps serving the last good one', async () => {
    const bad = makeSnapshot({ version: 'v-bad', routes: [route('gpt-test', { fallback: ['missing-route'] })] });
    cp.push(bad);
    const nack = await cp.waitFor((m) => m.type === 'nack' && m.version === 'v-bad', 'nack v-bad');
    expect(nack.reason).toContain('fallback route missing-route does not exist');
    cp.push({ schemaVersion: 99, version: 'v-future' });
    const nack2 = await cp.waitFor((m) => m.type === 'nack' && m.version === 'v-future', 'nack v-future');
    expect(nack2.reason).toContain('schemaVersion');
    expect(dp.snapshot()?.version).toBe('v-one');
    const res = await fetch(`${dp.url}/v1/chat/completions`, { method: 'POST', headers: AUTH, body: chatBody() });
    expect(res.status).toBe(200);
  });

  it('answers ping with pong', async () => {
    cp.send({ type: 'ping' });
    await cp.waitFor((m) => m.type === 'pong', 'pong');
  });

  it('keeps serving while the control plane is down and reconnects with its current version', async () => {
    const port = cp.port;
    await cp.stop();
    cp.received = [];
    const res = await fetch(`${dp.url}/v1/chat/completions`, { method: 'POST', headers: AUTH, body: chatBody() });
    expect(res.status).toBe(200);
    await sleep(300);
    await cp.start(port);
    const hello = await cp.waitFor((m) => m.type === 'hello', 'hello after reconnect');
    expect(hello.version).toBe('v-one');
    cp.push(makeSnapshot({ version: 'v-two' }));
    await cp.waitFor((m) => m.type === 'ack' && m.version === 'v-two', 'ack v-two');
    expect(dp.snapshot()?.version).toBe('v-two');
  });
});

describe('atomic swap', () => {
  let dp: TestDataPlane;
  const gates: Array<() => void> = [];
  afterEach(() => {
    for (const g of gates.splice(0)) g();
  });
  afterAll(() => dp.close());

  beforeAll(async () => {
    dp = await startTestDataPlane({
      snapshot: makeSnapshot({ version: 'v-a' }),
      pipeline: testPipeline(async (ctx) => {
        if ((ctx.body as { user?: string }).user === 'hold') await new Promise<void>((r) => gates.push(r));
        return { type: 'json', status: 200, body: completion(ctx.snapshot.version) };
      }),
    });
  });

  it('requests in flight finish on the snapshot they started with', async () => {
    const held = fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: chatBody({ user: 'hold' }),
    });
    await waitFor(() => gates.length === 1, 3000, 'request to reach the terminal stage');
    // v-b drops the route the held request uses: it must still finish on v-a.
    expect(dp.snapshots.offer(makeSnapshot({ version: 'v-b', routes: [route('other')] })).ok).toBe(true);
    const fresh = await fetch(`${dp.url}/v1/chat/completions`, { method: 'POST', headers: AUTH, body: chatBody() });
    expect(fresh.status).toBe(404);
    gates.shift()!();
    const res = await held;
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content,
    ).toBe('v-a');
  });

  it('loses no request while snapshots change under load', async () => {
    let swaps = 0;
    let stop = false;
    const swapper = (async () => {
      while (!stop) {
        dp.snapshots.offer(makeSnapshot({ version: `v-load-${swaps++}` }));
        await sleep(2);
      }
    })();
    const statuses: number[] = [];
    const worker = async () => {
      for (let i = 0; i < 40; i++) {
        const r = await fetch(`${dp.url}/v1/chat/completions`, { method: 'POST', headers: AUTH, body: chatBody() });
        await r.arrayBuffer();
        statuses.push(r.status);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    stop = true;
    await swapper;
    expect(swaps).toBeGreaterThan(10);
    expect(statuses).toHaveLength(320);
    expect(statuses.every((s) => s === 200)).toBe(true);
  });
});
