/**
 * Budget alerts: a threshold (gateway.alertThresholdsPercent) crossed by a node's period spend
 * emits once per node, period and threshold — the limiter marks the crossing atomically (Redis:
 * HSETNX on the period's hash), so two replicas never both alert. Each crossing: a warn log line,
 * a metric, and (when gateway.alertWebhook is set) a JSON POST, fire-and-forget with a timeout.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { formatMicros } from '../../common/money.js';
import type { SecretRef, Snapshot } from '../../common/snapshot.js';
import { budgetAlerts } from './metrics.js';
import type { ThresholdCrossing } from './types.js';

export const WEBHOOK_TIMEOUT_MS = 3_000;

/** The webhook payload (documented in docs/limits-and-budgets.md). */
export interface BudgetAlertPayload {
  type: 'budget.threshold_crossed';
  node: string;
  percent: number;
  spentMicros: number;
  budgetMicros: number;
  spentUsd: string;
  budgetUsd: string;
  periodStart: string;
  snapshotVersion: string;
  at: string;
}

async function resolveRef(ref: SecretRef): Promise<string | null> {
  if (ref.startsWith('env:')) return process.env[ref.slice(4)]?.trim() || null;
  if (ref.startsWith('file:')) return (await readFile(ref.slice(5), 'utf8')).trim() || null;
  return null;
}

export class BudgetAlerter {
  /** Webhook deliveries in flight (close() waits for them, bounded by their timeout). */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  emit(crossings: readonly ThresholdCrossing[], snapshot: Snapshot, now: number): void {
    for (const c of crossings) {
      const payload: BudgetAlertPayload = {
        type: 'budget.threshold_crossed',
        node: c.nodeId,
        percent: c.percent,
        spentMicros: c.spentMicros,
        budgetMicros: c.budgetMicros,
        spentUsd: formatMicros(c.spentMicros),
        budgetUsd: formatMicros(c.budgetMicros),
        periodStart: new Date(c.periodStart).toISOString(),
        snapshotVersion: snapshot.version,
        at: new Date(now).toISOString(),
      };
      this.logger.warn({ alert: payload }, `budget alert: ${c.nodeId} reached ${c.percent}% of its budget`);
      budgetAlerts.inc({ kind: c.nodeId.slice(0, c.nodeId.indexOf(':')), percent: String(c.percent) });
      const ref = snapshot.gateway.alertWebhook;
      if (ref) this.track(this.post(ref, payload));
    }
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
  }

  private async post(ref: SecretRef, payload: BudgetAlertPayload): Promise<void> {
    try {
      const url = await resolveRef(ref);
      if (!url) {
        this.logger.error({ ref }, 'budget alert webhook reference is empty or unset');
        return;
      }
      const res = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) this.logger.error({ ref, status: res.status }, 'budget alert webhook answered with an error');
    } catch (err) {
      this.logger.error({ ref, err: err instanceof Error ? err.message : String(err) }, 'budget alert webhook failed');
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
