/** Weighted random choice: P(item) = weight / sum(weights); zero-weight items are never chosen. */
import type { Rng } from './backoff.js';

export function pickWeighted<T extends { weight: number }>(items: readonly T[], rng: Rng): T | null {
  let total = 0;
  for (const it of items) if (it.weight > 0) total += it.weight;
  if (total <= 0) return null;
  let r = rng() * total;
  for (const it of items) {
    if (it.weight <= 0) continue;
    r -= it.weight;
    if (r < 0) return it;
  }
  // Floating-point leftovers: the last positive-weight item.
  for (let i = items.length - 1; i >= 0; i--) if (items[i].weight > 0) return items[i];
  return null;
}
