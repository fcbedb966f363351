/**
 * Redis unreachable or hung: the route's limiterFailureMode decides (open → served without a
 * reservation, closed → 503), quickly, with a metric — never a crash or a hung request. A TCP
 * proxy in front of the real Redis lets the test cut or freeze the connection.
 */
import { createServer, type Server, Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { limiterUnavailable } from '../../data-plane/limits/metrics.js';
import { RedisLimiter } from '../../data-plane/limits/redis-limiter.js';
import { buildLimitsStage } from '../../data-plane/stages/limits.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/services.js';
import { makeSnapshot, route } from '../helpers/snapshot.js';
import { chat, jsonNext, makeCtx, silent, usage } from './stage-helpers.js';

/** Forwards to Redis; `freeze()` stops forwarding (a hung Redis), `cut()` drops every connection. */
class RedisProxy {
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  frozen = false;
  port = 0;

  async start(): Promise<void> {
    const target = new URL(TEST_REDIS_URL);
    this.server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(Number(target.port), target.hostname);
      this.sockets.add(client).add(upstream);
      client.on('data', (d) => {
        if (!this.frozen) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!this.frozen) client.write(d);
      });
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const proxies: RedisProxy[] = [];
const limiters: RedisLimiter[] = [];
afterAll(async () => {
  for (const l of limiters) await l.close();
  for (const p of proxies) await p.cut().catch(() => {});
});

async function viaProxy(): Promise<{ proxy: RedisProxy; limiter: RedisLimiter }> {
  const proxy = new RedisProxy();
  await proxy.start();
  proxies.push(proxy);
  const limiter = await RedisLimiter.create({
    url: `redis://127.0.0.1:${proxy.port}`,
    keyPrefix: uniquePrefix('failmode'),
    commandTimeoutMs: 200,
  });
  limiters.push(limiter);
  return { proxy, limiter };
}

const snapshotFor = (mode: 'open' | 'closed' | null, gatewayMode: 'open' | 'closed' = 'closed') =>
  makeSnapshot({
    gateway: { limiterFailureMode: gatewayMode },
    routes: [route('gpt-test', { limiterFailureMode: mode })],
  });

async function timed<T>(p: Promise<T>): Promise<{ ms: number; value: T | null; error: unknown }> {
  const t = performance.now();
  try {
    const value = await p;
    return { ms: performance.now() - t, value, error: null };
  } catch (error) {
    return { ms: performance.now() - t, value: null, error };
  }
}

describe('limiter backend outage', () => {
  it('Redis down: fail-open serves the request, fail-closed answers 503, both fast', async () => {
    const { proxy, limiter } = await viaProxy();
    const stage = buildLimitsStage({ limiter, logger: silent });
    const okBefore = makeCtx(snapshotFor(null), chat('x'));
    await stage.run(okBefore, jsonNext(okBefore, usage(1, 1)));
    await proxy.cut();
    const before = (await limiterUnavailable.get()).values.reduce((a, v) => a + v.value, 0);

    const open = makeCtx(snapshotFor('open'), chat('x'));
    const served = await timed(stage.run(open, jsonNext(open, usage(1, 1))));
    expect(served.error).toBeNull();
    expect(served.value).toMatchObject({ type: 'json', status: 200 });
    expect(open.responseHeaders['x-sluice-limits']).toBe('bypassed');
    expect(served.ms).toBeLessThan(1_000);

    const closed = makeCtx(snapshotFor(null, 'closed'), chat('x'));
    const refused = await timed(stage.run(closed, jsonNext(closed, usage(1, 1))));
    expect(refused.error).toMatchObject({ status: 503, code: 'limiter_unavailable' });
    expect(refused.ms).toBeLessThan(1_000);

    const gatewayOpen = makeCtx(snapshotFor(null, 'open'), chat('x'));
    expect((await timed(stage.run(gatewayOpen, jsonNext(gatewayOpen, usage(1, 1))))).error).toBeNull();
    const after = (await limiterUnavailable.get()).values.reduce((a, v) => a + v.value, 0);
    expect(after - before).toBe(3);
  });

  it('Redis hung (connected, never answers): the command timeout applies the failure mode', async () => {
    const { proxy, limiter } = await viaProxy();
    const stage = buildLimitsStage({ limiter, logger: silent });
    proxy.frozen = true;
    const closed = makeCtx(snapshotFor('closed'), chat('x'));
    const refused = await timed(stage.run(closed, jsonNext(closed, usage(1, 1))));
    expect(refused.error).toMatchObject({ status: 503, code: 'limiter_unavailable' });
    expect(refused.ms).toBeLessThan(1_500);
    const open = makeCtx(snapshotFor('open'), chat('x'));
    const served = await timed(stage.run(open, jsonNext(open, usage(1, 1))));
    expect(served.error).toBeNull();
    expect(served.ms).toBeLessThan(1_500);
  });

  it('Redis unreachable at start-up: creating the limiter returns, requests follow the failure mode', async () => {
    const t = performance.now();
    const limiter = await RedisLimiter.create({
      url: 'redis://127.0.0.1:1',
      connectTimeoutMs: 300,
      commandTimeoutMs: 100,
    });
    limiters.push(limiter);
    expect(performance.now() - t).toBeLessThan(1_500);
    const stage = buildLimitsStage({ limiter, logger: silent });
    const ctx = makeCtx(snapshotFor('closed'), chat('x'));
    await expect(stage.run(ctx, jsonNext(ctx, usage(1, 1)))).rejects.toMatchObject({ status: 503 });
  });
});
