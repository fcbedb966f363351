/** Alerts (log + metric + webhook), the provider-account gate, and restarts in both modes. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { BudgetAlerter } from '../../data-plane/limits/alerts.js';
import { MemoryLimiter } from '../../data-plane/limits/memory-limiter.js';
import { budgetAlerts } from '../../data-plane/limits/metrics.js';
import { providerAccountGate } from '../../data-plane/limits/provider-gate.js';
import { RedisLimiter } from '../../data-plane/limits/redis-limiter.js';
import type { Limiter } from '../../data-plane/limits/types.js';
import { buildLimitsStage } from '../../data-plane/stages/limits.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/services.js';
import { makeSnapshot, node, provider } from '../helpers/snapshot.js';
import { chat, jsonNext, makeCtx, silent, usage } from './stage-helpers.js';

const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

const teamBudget = (amountMicros: number, over: Parameters<typeof makeSnapshot>[0] = {}) =>
  makeSnapshot({
    nodes: [
      node('org:acme'),
      node('team:search', { parent: 'org:acme', budget: { amountMicros, period: 'monthly', timezone: 'UTC' } }),
      node('key:search-dev', { parent: 'team:search' }),
    ],
    ...over,
  });

async function webhookServer(): Promise<{ url: string; bodies: unknown[]; server: Server }> {
  const bodies: unknown[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    bodies.push(JSON.parse(raw));
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, bodies, server };
}

describe('budget alerts', () => {
  it('each threshold emits once: log, metric and a webhook POST resolved from env:', async () => {
    const hook = await webhookServer();
    process.env.SLUICE_TEST_ALERT_HOOK = hook.url;
    // $0.001 budget; each request costs 1000×0.15 + 500×0.6 = 450 µ$ → crosses 50% then 80% and 100%.
    const snapshot = teamBudget(1_000, {
      gateway: { alertWebhook: 'env:SLUICE_TEST_ALERT_HOOK', alertThresholdsPercent: [50, 80, 100] },
    });
    const lines: unknown[] = [];
    const logger = silent.child({});
    logger.warn = ((obj: unknown) => {
      lines.push(obj);
    }) as typeof logger.warn;
    const alerter = new BudgetAlerter(logger);
    const stage = buildLimitsStage({ limiter: new MemoryLimiter(), logger: silent, alerter });
    const metricBefore = (await budgetAlerts.get()).values.reduce((a, v) => a + v.value, 0);
    for (let i = 0; i < 3; i++) {
      const ctx = makeCtx(snapshot, chat('x', { max_tokens: 1 }));
      await stage.run(ctx, jsonNext(ctx, usage(1000, 500)));
    }
    await alerter.close();
    const sent = hook.bodies as Array<{ node: string; percent: number; spentMicros: number; budgetUsd: string }>;
    expect(sent.map((b) => `${b.node}@${b.percent}`).sort()).toEqual([
      'team:search@100',
      'team:search@50',
      'team:search@80',
    ]);
    expect(sent.find((b) => b.percent === 50)).toMatchObject({ spentMicros: 900, budgetUsd: '0.001' });
    expect(lines).toHaveLength(3);
    const metricAfter = (await budgetAlerts.get()).values.reduce((a, v) => a + v.value, 0);
    expect(metricAfter - metricBefore).toBe(3);
    // Spending more in the same period (budget raised to $0.0015, 90% used) does not alert again.
    const raised = teamBudget(1_500, { gateway: { alertWebhook: 'env:SLUICE_TEST_ALERT_HOOK' } });
    const ctx = makeCtx(raised, chat('x', { max_tokens: 1 }));
    await stage.run(ctx, jsonNext(ctx, usage(1000, 500)));
    await alerter.close();
    expect(hook.bodies).toHaveLength(3);
  });

  it('a hung webhook never delays or fails requests', async () => {
    // A server that accepts and never answers: the POST must not hold the request.
    let hits = 0;
    const hung = createServer(() => {
      hits++;
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    closers.push(() => {
      hung.closeAllConnections();
      return new Promise<void>((r) => hung.close(() => r()));
    });
    process.env.SLUICE_TEST_HUNG_HOOK = `http://127.0.0.1:${(hung.address() as { port: number }).port}/`;
    const alerter = new BudgetAlerter(silent);
    const stage = buildLimitsStage({ limiter: new MemoryLimiter(), logger: silent, alerter });
    const snapshot = teamBudget(100_000, { gateway: { alertWebhook: 'env:SLUICE_TEST_HUNG_HOOK' } });
    const ctx = makeCtx(snapshot, chat('x', { max_tokens: 1 }));
    const t = performance.now();
    const out = await stage.run(ctx, jsonNext(ctx, usage(1_000_000, 1_000))); // 150.6% of the budget
    expect(out).toMatchObject({ type: 'json', status: 200 });
    expect(performance.now() - t).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 200));
    expect(hits).toBe(3); // 50, 80 and 100 % were posted (and are still hanging)
  });
});

describe('provider-account gate', () => {
  const limiters: Array<[string, () => Promise<Limiter>]> = [
    ['memory', async () => new MemoryLimiter()],
    [
      'redis',
      async () => {
        const l = await RedisLimiter.create({ url: TEST_REDIS_URL, keyPrefix: uniquePrefix('gate') });
        closers.push(() => l.close());
        return l;
      },
    ],
  ];

  it.each(limiters)('%s: skips a provider near its TPM/RPM; settle refunds unused tokens', async (_n, make) => {
    const limiter = await make();
    let now = Date.UTC(2031, 0, 1, 0, 0, 1);
    const gate = providerAccountGate(limiter, undefined, () => now);
    const snapshot = makeSnapshot({ providers: [provider('fake', 'http://x', { limits: { tpm: 1000, rpm: 3 } })] });
    expect(await gate.tryAcquire(snapshot, 'fake', 600)).toBe(true);
    expect(await gate.tryAcquire(snapshot, 'fake', 600)).toBe(false);
    gate.settle(snapshot, 'fake', 600, 100); // used far less than estimated
    await new Promise((r) => setTimeout(r, 20));
    expect(await gate.tryAcquire(snapshot, 'fake', 600)).toBe(true);
    expect(await gate.tryAcquire(snapshot, 'fake', 1)).toBe(true);
    expect(await gate.tryAcquire(snapshot, 'fake', 1)).toBe(false); // RPM 3 reached (refusals do not count)
    now += 60_000;
    expect(await gate.tryAcquire(snapshot, 'fake', 900)).toBe(true);
    // Providers without account limits never touch the backend.
    const unlimited = makeSnapshot();
    for (let i = 0; i < 10; i++) expect(await gate.tryAcquire(unlimited, 'fake', 10_000_000)).toBe(true);
  });

  it('admits when the backend is down (the provider still protects itself)', async () => {
    const limiter = await RedisLimiter.create({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
    closers.push(() => limiter.close());
    const errors: string[] = [];
    const gate = providerAccountGate(limiter, (_e, op) => errors.push(op));
    const snapshot = makeSnapshot({ providers: [provider('fake', 'http://x', { limits: { tpm: 10, rpm: 1 } })] });
    expect(await gate.tryAcquire(snapshot, 'fake', 100)).toBe(true);
    expect(errors).toEqual(['acquire']);
  });
});

describe('restart loses no spend', () => {
  it('in-memory: a new limiter restores period-to-date spend from the ledger', async () => {
    const snapshot = teamBudget(1_000);
    // The ledger is what accounting wrote before the restart: 900 µ$ this month for the team/org/key.
    const since: Array<[string, number]> = [];
    const ledger = {
      spendMicrosSince(nodeId: string, sinceMs: number) {
        since.push([nodeId, sinceMs]);
        return 900;
      },
    };
    const limiter = new MemoryLimiter({ restoreSpend: (id, s) => ledger.spendMicrosSince(id, s) });
    const snapshots = { current: () => snapshot, onSwap: () => {} };
    const stage = buildLimitsStage({ limiter, logger: silent, snapshots });
    // Restored at start-up for every node, with the node's period start.
    expect(since.map(([id]) => id).sort()).toEqual(['key:search-dev', 'org:acme', 'team:search']);
    const monthStart = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1);
    expect(since.every(([, s]) => s === monthStart)).toBe(true);
    const ctx = makeCtx(snapshot, chat('x', { max_tokens: 1_000 }));
    await expect(stage.run(ctx, jsonNext(ctx, usage(1, 1)))).rejects.toMatchObject({ code: 'budget_exceeded' });
    const small = makeCtx(snapshot, chat('x', { max_tokens: 10 }));
    await stage.run(small, jsonNext(small, usage(10, 10)));
    const report = await stage.adminRoutes![0]!.handler({
      query: new URLSearchParams({ node: 'team:search' }),
      body: null,
      snapshot,
    });
    expect((report.body as { nodes: Array<{ spentMicros: number }> }).nodes[0]!.spentMicros).toBe(900 + 8);
  });

  it('redis: a new limiter instance (another process after a restart) sees the same spend', async () => {
    const prefix = uniquePrefix('restart');
    const snapshot = teamBudget(10_000);
    const first = await RedisLimiter.create({ url: TEST_REDIS_URL, keyPrefix: prefix });
    const stage1 = buildLimitsStage({ limiter: first, logger: silent });
    const ctx = makeCtx(snapshot, chat('x', { max_tokens: 10 }));
    await stage1.run(ctx, jsonNext(ctx, usage(10_000, 10_000))); // 1500 + 6000 = 7500 µ$
    await first.close();
    const second = await RedisLimiter.create({ url: TEST_REDIS_URL, keyPrefix: prefix });
    closers.push(() => second.close());
    const stage2 = buildLimitsStage({ limiter: second, logger: silent });
    const report = await stage2.adminRoutes![0]!.handler({
      query: new URLSearchParams({ node: 'team:search' }),
      body: null,
      snapshot,
    });
    expect((report.body as { nodes: Array<{ spentMicros: number }> }).nodes[0]!.spentMicros).toBe(7_500);
    const big = makeCtx(snapshot, chat('x', { max_tokens: 10_000 }));
    await expect(stage2.run(big, jsonNext(big, usage(1, 1)))).rejects.toMatchObject({ code: 'budget_exceeded' });
  });
});
