import { picoToMicrosCeil } from '../../common/money.js';
import type { PriceEntry } from '../../common/snapshot.js';
import type { RequestContext } from '../pipeline/types.js';
import { costPico, priceAt } from './price.js';

export interface RequestCost {
  pico: number;
  /** What budgets are charged: pico rounded up to whole micro-dollars. */
  micros: number;
  /** The price used (null when no price was effective — cost is then 0 and flagged by accounting). */
  price: PriceEntry | null;
}

/**
 * The cost of a finished request at the price effective when it arrived. Computed once and kept
 * on ctx.meta, so that limits (reconciliation) and accounting (events) charge the same number.
 */
export function requestCost(ctx: RequestContext): RequestCost {
  if (ctx.meta.cost) return ctx.meta.cost;
  const usage = ctx.meta.usage;
  const { provider, upstreamModel } = ctx.meta;
  let cost: RequestCost = { pico: 0, micros: 0, price: null };
  // Cache hits are free: usage describes the saved call, not a charge.
  if (
    usage &&
    provider &&
    upstreamModel &&
    ctx.meta.cacheTier !== 'hit-exact' &&
    ctx.meta.cacheTier !== 'hit-semantic'
  ) {
    const price = priceAt(ctx.snapshot, provider, upstreamModel, ctx.receivedAt);
    if (price) {
      const pico = costPico(price, usage);
      cost = { pico, micros: picoToMicrosCeil(pico), price };
    }
  }
  ctx.meta.cost = cost;
  return cost;
}
