import { createRequire } from 'node:module';

interface Matches {
  keys: BigUint64Array;
  distances: Float32Array;
}
type ExactSearch = (
  dataset: Float32Array,
  query: Float32Array,
  dims: number,
  count: number,
  metric: string,
  threads?: number,
) => Matches;

/**
 * usearch's SIMD brute-force search (`exactSearch`): the same exact scan as the JS loop, ~4–10×
 * faster on large partitions. Loaded through require (its ESM build cannot find the native
 * binary); null when the native module is unavailable, in which case the JS loop is used.
 */
export const nativeExactSearch: ExactSearch | null = (() => {
  try {
    return (createRequire(import.meta.url)('usearch') as { exactSearch: ExactSearch }).exactSearch;
  } catch {
    return null;
  }
})();

/** Row indices and dot products of the best `k` rows of `data` (count × dims) for `query`. */
export function nativeTopK(data: Float32Array, count: number, dims: number, query: Float32Array, k: number) {
  const m = nativeExactSearch!(data.subarray(0, count * dims), query, dims, Math.min(k, count), 'ip', 1);
  const rows: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < m.keys.length; i++) {
    rows.push(Number(m.keys[i]));
    // Inner-product distance is 1 − dot.
    scores.push(1 - m.distances[i]!);
  }
  return { rows, scores };
}
