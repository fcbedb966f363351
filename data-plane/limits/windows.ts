/**
 * Sliding windows made of fixed sub-buckets (the in-memory twin of the Lua in redis-scripts.ts).
 * A window of N buckets of B ms at time t counts buckets floor(t/B)-N+1 … floor(t/B): the events
 * of the last (N-1)·B to N·B ms. Precision: within any N·B ms span at most limit + one bucket's
 * events are admitted; within any (N-1)·B ms span at most the limit.
 */

export type Buckets = Map<number, number>;

/** Sum of the live buckets at bucket index `current`, dropping the ones that left the window. */
export function windowSum(buckets: Buckets, current: number, size: number): number {
  let sum = 0;
  for (const [idx, n] of buckets) {
    if (current - idx >= size) buckets.delete(idx);
    else sum += n;
  }
  return Math.max(sum, 0);
}

/**
 * Ms from `now` until `need` more fits under `limit` (0 = fits now, -1 = never: need > limit).
 * Old buckets leave the window one by one; the first moment the remaining sum leaves room wins.
 */
export function msUntilRoom(
  buckets: Buckets,
  now: number,
  bucketMs: number,
  size: number,
  limit: number,
  need: number,
): number {
  if (need > limit) return -1;
  const current = Math.floor(now / bucketMs);
  let sum = windowSum(buckets, current, size);
  if (sum + need <= limit) return 0;
  // Buckets are almost always in ascending insertion order: walk them without copying; sort a
  // copy only when they are not (same answer either way).
  let prev = Number.NEGATIVE_INFINITY;
  let ascending = true;
  for (const idx of buckets.keys()) {
    if (idx < prev) {
      ascending = false;
      break;
    }
    prev = idx;
  }
  const ordered = ascending ? buckets : [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  for (const [idx, n] of ordered) {
    sum -= n;
    if (sum + need <= limit) return (idx + size) * bucketMs - now;
  }
  return size * bucketMs;
}

export function addTo(buckets: Buckets, idx: number, n: number): void {
  buckets.set(idx, (buckets.get(idx) ?? 0) + n);
}
