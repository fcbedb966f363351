/**
 * Cache metrics on the data plane's registry (served at GET /metrics). Module-level so several
 * stage instances in one process (tests, benches) share them; per-instance numbers for the stats
 * endpoint live in CacheCounters.
 */
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../observability/metrics.js';

export const cacheLookups = new Counter({
  name: 'sluice_cache_lookups_total',
  help: 'Cache lookups by result tier (hit-exact, hit-semantic, miss, bypass)',
  labelNames: ['tier', 'endpoint'] as const,
  registers: [metricsRegistry],
});

export const cacheFills = new Counter({
  name: 'sluice_cache_fills_total',
  help: 'Answers written to the cache, by source (json, stream) and whether the semantic index got them',
  labelNames: ['source', 'semantic'] as const,
  registers: [metricsRegistry],
});

export const cacheEvictions = new Counter({
  name: 'sluice_cache_evictions_total',
  help: 'Cache entries removed, by tier (exact, semantic) and reason (size, expired, feedback, purge)',
  labelNames: ['tier', 'reason'] as const,
  registers: [metricsRegistry],
});

export const cacheFalsePositives = new Counter({
  name: 'sluice_cache_false_positive_reports_total',
  help: 'Wrong cache hits reported through POST /admin/cache/feedback, by tier',
  labelNames: ['tier'] as const,
  registers: [metricsRegistry],
});

export const cacheGuardRejections = new Counter({
  name: 'sluice_cache_semantic_rejections_total',
  help: 'Semantic candidates above the threshold refused by verification, by reason',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

export const cacheErrors = new Counter({
  name: 'sluice_cache_errors_total',
  help: 'Cache backend/embedder failures (the request proceeds as a miss)',
  labelNames: ['op'] as const,
  registers: [metricsRegistry],
});

export const semanticLookupSeconds = new Histogram({
  name: 'sluice_cache_semantic_lookup_seconds',
  help: 'Semantic tier lookup latency (embedding + index search + verification)',
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [metricsRegistry],
});

/** Per-instance counts behind GET /admin/cache/stats. */
export class CacheCounters {
  hitExact = 0;
  hitSemantic = 0;
  miss = 0;
  bypass = 0;
  fills = 0;
  falsePositives: Record<string, number> = {};
  rejections: Record<string, number> = {};
  evictions: Record<string, number> = {};

  snapshot() {
    const lookups = this.hitExact + this.hitSemantic + this.miss;
    const rate = (n: number) => (lookups === 0 ? 0 : n / lookups);
    return {
      lookups,
      hits: { exact: this.hitExact, semantic: this.hitSemantic },
      misses: this.miss,
      bypasses: this.bypass,
      fills: this.fills,
      hitRate: {
        exact: rate(this.hitExact),
        semantic: rate(this.hitSemantic),
        total: rate(this.hitExact + this.hitSemantic),
      },
      falsePositiveReports: { ...this.falsePositives },
      semanticRejections: { ...this.rejections },
      evictions: { ...this.evictions },
    };
  }
}

export function bump(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}
