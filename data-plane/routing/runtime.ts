/**
 * State the upstream and queue stages of one pipeline share: target health (circuit breakers and
 * rate-limit cool-downs). Keyed by the pipeline's provider-account gate, which build.ts creates
 * once per pipeline, so two data planes in one process (tests) never share breakers.
 */
import type { StageDeps } from '../pipeline/deps.js';
import { TargetHealth } from './target-health.js';

export interface RoutingRuntime {
  health: TargetHealth;
}

const runtimes = new WeakMap<object, RoutingRuntime>();

export function routingRuntime(deps: Pick<StageDeps, 'providerGate'>): RoutingRuntime {
  let rt = runtimes.get(deps.providerGate);
  if (!rt) {
    rt = { health: new TargetHealth() };
    runtimes.set(deps.providerGate, rt);
  }
  return rt;
}
