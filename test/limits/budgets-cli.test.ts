/** `sluice budgets` against a real data plane's GET /admin/budgets, and the burn-rate maths. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { command, renderBudgetTable } from '../../control-plane/cli/commands/budgets.js';
import { budgetReport } from '../../data-plane/limits/budget-report.js';
import { MemoryLimiter } from '../../data-plane/limits/memory-limiter.js';
import { PeriodCache } from '../../data-plane/limits/period.js';
import { makeSnapshot, node, TEST_ADMIN_TOKEN } from '../helpers/snapshot.js';
import { serverReady } from './e2e-readiness.js';

const snapshot = makeSnapshot({
  nodes: [
    node('org:acme', { budget: { amountMicros: 100_000_000, period: 'monthly', timezone: 'America/New_York' } }),
    node('team:search', {
      parent: 'org:acme',
      budget: { amountMicros: 10_000_000, period: 'weekly', timezone: 'UTC' },
    }),
    node('key:search-dev', { parent: 'team:search' }),
  ],
});

describe('budget report', () => {
  it('burn rate = last hour × 24 × 30; projection = spent + last hour × hours left', async () => {
    const limiter = new MemoryLimiter();
    const now = Date.UTC(2031, 0, 15, 12); // Wednesday noon UTC: 108 h left in the ISO week
    const scope = 'org:acme';
    const spec = { id: 'team:search', rpm: null, tpm: null, tpd: null, maxConcurrent: null, budgetMicros: 10_000_000 };
    const periods = new PeriodCache();
    const w = periods.window(now, 'weekly', 'UTC');
    const nodes = [{ ...spec, periodStart: w.start, periodEnd: w.end }];
    // 2 h ago (outside the last hour) $1, then $0.25 within the last hour.
    for (const [at, micros] of [
      [now - 2 * 3_600_000, 1_000_000],
      [now - 10 * 60_000, 250_000],
    ] as const) {
      const r = await limiter.reserve({
        id: `x${at}`,
        scope,
        nodes,
        tokens: 1,
        micros: 1,
        now: at,
        leaseMs: 60_000,
        hold: true,
      });
      if (!r.ok) throw new Error('refused');
      await limiter.reconcile(r.reservation, { tokens: 1, micros }, at, []);
    }
    const report = await budgetReport(limiter, snapshot, now, periods);
    const team = report.nodes.find((n) => n.id === 'team:search')!;
    expect(team).toMatchObject({
      spentMicros: 1_250_000,
      spentLastHourMicros: 250_000,
      burnRateMicrosPerMonth: 250_000 * 24 * 30,
      projectedPeriodEndMicros: 1_250_000 + 250_000 * 108,
      remainingMicros: 8_750_000,
      usedPercent: 12.5,
      periodStart: '2031-01-13T00:00:00.000Z',
    });
    expect(team.usd).toMatchObject({ spent: '1.25', burnRatePerMonth: '180', projected: '28.25' });
    expect(report.nodes.map((n) => n.id)).toEqual(['org:acme', 'team:search', 'key:search-dev']);
    const table = renderBudgetTable(report);
    expect(table).toMatch(/team:search\s+\$10\s+weekly \(UTC\)\s+\$1\.25/);
  });
});

describe.skipIf(!serverReady)('sluice budgets against a running data plane', () => {
  let dp: Awaited<ReturnType<typeof import('../helpers/data-plane.js')['startTestDataPlane']>>;
  beforeAll(async () => {
    const { startTestDataPlane } = await import('../helpers/data-plane.js');
    dp = await startTestDataPlane({ snapshot });
  });
  afterAll(() => dp?.close());

  it('prints a table of every node', async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    try {
      expect(await command.run(['--data-plane', dp.url, '--admin-token', TEST_ADMIN_TOKEN])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const text = out.join('\n');
    expect(text).toMatch(/^snapshot v-test-\w+ · limiter memory/);
    expect(text).toMatch(/NODE\s+BUDGET\s+PERIOD\s+SPENT/);
    expect(text).toMatch(/org:acme\s+\$100\s+monthly \(America\/New_York\)\s+\$0/);
    expect(text).toMatch(/key:search-dev\s+-\s+-\s+\$0/);
  });

  it('json format and --node filter; a wrong token exits 1', async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(
        await command.run([
          '--data-plane',
          dp.url,
          '--admin-token',
          TEST_ADMIN_TOKEN,
          '--node',
          'team:search',
          '--format',
          'json',
        ]),
      ).toBe(0);
      expect(await command.run(['--data-plane', dp.url, '--admin-token', 'wrong'])).toBe(1);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    const report = JSON.parse(out[0]!) as { nodes: Array<{ id: string; budgetMicros: number }> };
    expect(report.nodes).toEqual([expect.objectContaining({ id: 'team:search', budgetMicros: 10_000_000 })]);
  });
});
