/**
 * The one visible pipeline. Order matters:
 * - accounting is outermost so that every request (rejected, cached, failed, queued) yields one event;
 * - cache sits before limits so that hits cost nothing against budgets;
 * - queue sits outside limits so a queued request reserves only when it actually runs.
 */

import { createProviderAccountGate } from '../limits/provider-gate.js';
import { createAccountingStage } from '../stages/accounting.js';
import { createAuthStage } from '../stages/auth.js';
import { createCacheStage } from '../stages/cache.js';
import { createGuardrailsStage } from '../stages/guardrails.js';
import { createLimitsStage } from '../stages/limits.js';
import { createQueueStage } from '../stages/queue.js';
import { createUpstreamStage } from '../stages/upstream.js';
import type { AdminRoute, BuiltStage, ClientRoute, StageDeps } from './deps.js';
import { compose, type Outcome, type RequestContext } from './types.js';

export interface Pipeline {
  run(ctx: RequestContext): Promise<Outcome>;
  stages: readonly BuiltStage[];
  adminRoutes: AdminRoute[];
  clientRoutes: ClientRoute[];
  close(): Promise<void>;
}

export async function buildPipeline(base: Omit<StageDeps, 'providerGate'>): Promise<Pipeline> {
  const deps: StageDeps = { ...base, providerGate: await createProviderAccountGate(base) };
  const stages: BuiltStage[] = [
    await createAccountingStage(deps),
    createAuthStage(deps),
    createGuardrailsStage(deps),
    await createCacheStage(deps),
    createQueueStage(deps),
    await createLimitsStage(deps),
    createUpstreamStage(deps),
  ];
  return {
    run: compose(stages),
    stages,
    adminRoutes: stages.flatMap((s) => s.adminRoutes ?? []),
    clientRoutes: stages.flatMap((s) => s.clientRoutes ?? []),
    async close() {
      // Close outermost last: accounting flushes events produced while inner stages close.
      for (const stage of [...stages].reverse()) await stage.close?.();
    },
  };
}
