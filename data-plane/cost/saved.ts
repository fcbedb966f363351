import type { RequestContext } from '../pipeline/types.js';
import { costPico, priceAt } from './price.js';

/**
 * What a cache hit saved, in pico-dollars. The cache stage sets ctx.meta.cacheSavedPico from the
 * original call's cost; when it did not (0) but the hit carries the original usage, the saving is
 * the usage priced at the price effective when this request arrived.
 */
export function cacheSavedPico(ctx: RequestContext): number {
  const { meta } = ctx;
  if (meta.cacheTier !== 'hit-exact' && meta.cacheTier !== 'hit-semantic') return 0;
  if (meta.cacheSavedPico > 0) return meta.cacheSavedPico;
  if (!meta.usage || !meta.provider || !meta.upstreamModel) return 0;
  const price = priceAt(ctx.snapshot, meta.provider, meta.upstreamModel, ctx.receivedAt);
  return price ? costPico(price, meta.usage) : 0;
}
