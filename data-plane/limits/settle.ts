/**
 * Reconciliation after a request: the actual tokens (provider usage, or what the router counted
 * for a stream) and the actual cost (data-plane/cost/request-cost.ts, the same number accounting
 * records) replace the reservation. A failed request with no usage is a full refund. A backend
 * error retries in the background (bounded); if every retry fails the lease still frees the slot
 * and held micros, and the spend remains in the ledger.
 */
import type { Logger } from 'pino';
import { requestCost } from '../cost/request-cost.js';
import type { RequestContext } from '../pipeline/types.js';
import type { BudgetAlerter } from './alerts.js';
import { MemoryLimiter } from './memory-limiter.js';
import { reconcileFailures } from './metrics.js';
import type { Actual, Limiter, Reservation } from './types.js';

export const RECONCILE_RETRY_DELAYS_MS = [200, 1_000, 5_000];

/**
 * `final` = the request ends here (an answer or a stream). After a thrown error the queue may run
 * the request again (all targets exhausted → parked → retried), so the cost is computed without
 * pinning ctx.meta.cost, which the later run must compute from its own usage.
 */
export function actualOf(ctx: RequestContext, final: boolean): Actual {
  const usage = ctx.meta.usage;
  if (!usage) return { tokens: 0, micros: 0 };
  const pinned = ctx.meta.cost;
  const micros = requestCost(ctx).micros;
  if (!final) ctx.meta.cost = pinned;
  return { tokens: usage.promptTokens + usage.outputTokens, micros };
}

export interface SettleDeps {
  limiter: Limiter;
  alerter: BudgetAlerter;
  logger: Logger;
  clock: () => number;
}

/** What a settle function returns when it finished synchronously (in-memory limiter). */
export const SETTLED: Promise<void> = Promise.resolve();

/**
 * Returns a function that reconciles `res` once (later calls are no-ops). With the in-memory
 * limiter the reconcile runs synchronously and the function returns SETTLED, so callers can skip
 * the await (no promise hop on the hot path).
 */
export function settler(deps: SettleDeps, ctx: RequestContext, res: Reservation): (final: boolean) => Promise<void> {
  let done = false;
  const limiter = deps.limiter;
  if (limiter instanceof MemoryLimiter) {
    return (final) => {
      if (done) return SETTLED;
      done = true;
      const actual = actualOf(ctx, final);
      try {
        const now = deps.clock();
        const crossings = limiter.reconcileSync(res, actual, now, ctx.snapshot.gateway.alertThresholdsPercent);
        if (crossings.length > 0) deps.alerter.emit(crossings, ctx.snapshot, now);
      } catch (err) {
        deps.logger.error(
          { requestId: ctx.id, err: err instanceof Error ? err.message : String(err), actual },
          'limits: reconcile failed; the lease will release the hold',
        );
        reconcileFailures.inc();
      }
      return SETTLED;
    };
  }
  return async (final) => {
    if (done) return;
    done = true;
    const actual = actualOf(ctx, final);
    const thresholds = ctx.snapshot.gateway.alertThresholdsPercent;
    const attempt = async () => {
      const crossings = await deps.limiter.reconcile(res, actual, deps.clock(), thresholds);
      if (crossings.length > 0) deps.alerter.emit(crossings, ctx.snapshot, deps.clock());
    };
    try {
      await attempt();
    } catch (first) {
      deps.logger.warn(
        { requestId: ctx.id, err: first instanceof Error ? first.message : String(first) },
        'limits: reconcile failed, retrying in the background',
      );
      void retry(attempt, deps, ctx.id, actual);
    }
  };
}

async function retry(attempt: () => Promise<void>, deps: SettleDeps, requestId: string, actual: Actual): Promise<void> {
  for (const delay of RECONCILE_RETRY_DELAYS_MS) {
    await new Promise((r) => setTimeout(r, delay).unref());
    try {
      await attempt();
      return;
    } catch {
      // next delay
    }
  }
  reconcileFailures.inc();
  deps.logger.error({ requestId, actual }, 'limits: reconcile failed after retries; the lease will release the hold');
}
