/** Limits/budgets metrics on the data plane's registry (labels stay low-cardinality: no key names). */
import { Counter } from 'prom-client';
import { metricsRegistry } from '../observability/metrics.js';

export const limitRejections = new Counter({
  name: 'sluice_limit_rejections_total',
  help: 'Requests refused by rate limits or budgets, by reason and node kind',
  labelNames: ['reason', 'kind'] as const,
  registers: [metricsRegistry],
});

export const limiterUnavailable = new Counter({
  name: 'sluice_limiter_unavailable_total',
  help: 'Limiter backend calls that failed (Redis down or slow), by operation and applied failure mode',
  labelNames: ['backend', 'op', 'mode'] as const,
  registers: [metricsRegistry],
});

export const budgetAlerts = new Counter({
  name: 'sluice_budget_alerts_total',
  help: 'Budget threshold crossings (once per node, period and threshold)',
  labelNames: ['kind', 'percent'] as const,
  registers: [metricsRegistry],
});

export const reconcileFailures = new Counter({
  name: 'sluice_limiter_reconcile_failures_total',
  help: 'Reconciliations that could not be written after retries (spend stays in the ledger)',
  registers: [metricsRegistry],
});
