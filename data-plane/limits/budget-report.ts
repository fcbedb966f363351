/**
 * GET /admin/budgets: per node (key, team, org) its budget, period, spend, reservations, burn
 * rate and projection. burn rate = spend of the last hour × 24 × 30 (a 30-day month at the
 * current pace); projected period-end spend = spent + last-hour spend × hours left in the period.
 * Money fields are integer micro-dollars with exact decimal USD strings next to them.
 */
import { formatMicros } from '../../common/money.js';
import type { BudgetNode, Snapshot } from '../../common/snapshot.js';
import { nodeSpec, scopeOfNode } from './node-specs.js';
import type { PeriodCache } from './period.js';
import type { Limiter, NodeSpec } from './types.js';

export interface BudgetRow {
  id: string;
  kind: BudgetNode['kind'];
  parent: string | null;
  budgetMicros: number | null;
  period: string | null;
  timezone: string | null;
  periodStart: string;
  periodEnd: string;
  spentMicros: number;
  reservedMicros: number;
  /** budget − spent − reserved (negative after an overage), null without a budget. */
  remainingMicros: number | null;
  usedPercent: number | null;
  inFlight: number;
  requestsLastMinute: number;
  tokensLastMinute: number;
  tokensLastDay: number;
  spentLastHourMicros: number;
  burnRateMicrosPerMonth: number;
  projectedPeriodEndMicros: number;
  usd: { budget: string | null; spent: string; remaining: string | null; burnRatePerMonth: string; projected: string };
  limits: BudgetNode['limits'];
}

export interface BudgetReport {
  snapshotVersion: string;
  backend: Limiter['backend'];
  generatedAt: string;
  nodes: BudgetRow[];
}

export async function budgetReport(
  limiter: Limiter,
  snapshot: Snapshot,
  now: number,
  periods: PeriodCache,
  only: string | null = null,
): Promise<BudgetReport> {
  const byScope = new Map<string, { node: BudgetNode; spec: NodeSpec }[]>();
  for (const node of Object.values(snapshot.nodes)) {
    if (only && node.id !== only) continue;
    const scope = scopeOfNode(snapshot, node.id);
    const list = byScope.get(scope) ?? [];
    list.push({ node, spec: nodeSpec(node, now, periods) });
    byScope.set(scope, list);
  }
  const rows: BudgetRow[] = [];
  for (const [scope, list] of byScope) {
    const statuses = await limiter.status(
      scope,
      list.map((e) => e.spec),
      now,
    );
    list.forEach(({ node, spec }, i) => {
      const s = statuses[i]!;
      const budget = spec.budgetMicros;
      const remaining = budget === null ? null : budget - s.spentMicros - s.reservedMicros;
      const hoursLeft = Math.max(0, spec.periodEnd - now) / 3_600_000;
      const burn = s.spentLastHourMicros * 24 * 30;
      const projected = s.spentMicros + Math.round(s.spentLastHourMicros * hoursLeft);
      rows.push({
        id: node.id,
        kind: node.kind,
        parent: node.parent,
        budgetMicros: budget,
        period: node.budget?.period ?? null,
        timezone: node.budget?.timezone ?? null,
        periodStart: new Date(spec.periodStart).toISOString(),
        periodEnd: new Date(spec.periodEnd).toISOString(),
        spentMicros: s.spentMicros,
        reservedMicros: s.reservedMicros,
        remainingMicros: remaining,
        usedPercent: budget ? Math.round((s.spentMicros * 10_000) / budget) / 100 : null,
        inFlight: s.inFlight,
        requestsLastMinute: s.requestsLastMinute,
        tokensLastMinute: s.tokensLastMinute,
        tokensLastDay: s.tokensLastDay,
        spentLastHourMicros: s.spentLastHourMicros,
        burnRateMicrosPerMonth: burn,
        projectedPeriodEndMicros: projected,
        usd: {
          budget: budget === null ? null : formatMicros(budget),
          spent: formatMicros(s.spentMicros),
          remaining: remaining === null ? null : formatMicros(remaining),
          burnRatePerMonth: formatMicros(burn),
          projected: formatMicros(projected),
        },
        limits: node.limits,
      });
    });
  }
  const order = { org: 0, team: 1, key: 2 } as const;
  rows.sort((a, b) => order[a.kind] - order[b.kind] || a.id.localeCompare(b.id));
  return {
    snapshotVersion: snapshot.version,
    backend: limiter.backend,
    generatedAt: new Date(now).toISOString(),
    nodes: rows,
  };
}
