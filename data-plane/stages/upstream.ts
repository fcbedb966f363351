/**
 * The terminal stage: the router picks a target, calls its provider adapter, retries and falls
 * back (data-plane/routing/). Never calls next.
 */
import type { ProviderType } from '../../common/snapshot.js';
import type { BuiltStage, StageDeps } from '../pipeline/deps.js';
import { getProviderAdapter } from '../providers/index.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { Rng } from '../routing/backoff.js';
import { Router } from '../routing/router.js';
import { routingRuntime } from '../routing/runtime.js';

export interface UpstreamStageOptions {
  /** Tests inject fake adapters; production uses the provider registry. */
  adapterFor?: (type: ProviderType) => ProviderAdapter;
  rng?: Rng;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function createUpstreamStage(deps: StageDeps, opts: UpstreamStageOptions = {}): BuiltStage & { router: Router } {
  const router = new Router({
    adapterFor: opts.adapterFor ?? getProviderAdapter,
    providerGate: deps.providerGate,
    health: routingRuntime(deps).health,
    logger: deps.logger,
    rng: opts.rng,
    now: opts.now,
    sleep: opts.sleep,
  });
  return { name: 'upstream', router, run: (ctx) => router.handle(ctx) };
}
