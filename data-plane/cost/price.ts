import type { PriceEntry, Snapshot } from '../../common/snapshot.js';
import type { NormalizedUsage } from '../../common/usage.js';

/** The price effective at `atMs` for provider/model, or null when none applies yet. */
export function priceAt(snapshot: Snapshot, provider: string, model: string, atMs: number): PriceEntry | null {
  return effectiveEntry(snapshot.pricing[`${provider}/${model}`], atMs);
}

/** The entry of a dated price list (sorted ascending by effectiveFrom) in force at `atMs`. */
export function effectiveEntry(entries: readonly PriceEntry[] | undefined, atMs: number): PriceEntry | null {
  if (!entries) return null;
  // Lists are short, so scan from the newest.
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.effectiveFrom <= atMs) return e;
  }
  return null;
}

/** Exact cost in pico-dollars. Cached and cache-write tokens are billed at their own rates. */
export function costPico(price: PriceEntry, usage: NormalizedUsage): number {
  const uncached = Math.max(0, usage.promptTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
  return (
    uncached * price.inputPico +
    usage.cachedInputTokens * price.cachedInputPico +
    usage.cacheWriteTokens * price.cacheWritePico +
    usage.outputTokens * price.outputPico
  );
}
