import { join } from 'node:path';
import type { DataPlaneConfig } from '../config.js';

/**
 * Cache tuning of one replica. Where state lives (Redis, Qdrant) comes from DataPlaneConfig; these
 * knobs come from the environment (documented in docs/cache.md) or, in tests and benches, directly.
 */
export interface CacheOptions {
  /** Bound of the in-memory exact store (SLUICE_CACHE_MAX_BYTES, default 256 MiB). */
  maxBytes: number;
  /** Redis key prefix (SLUICE_CACHE_REDIS_PREFIX, default "sluice:cache:"). */
  redisPrefix: string;
  /** In-process vector index (SLUICE_CACHE_VECTOR_INDEX: scan | usearch, default scan). */
  vectorIndex: 'scan' | 'usearch';
  /** Bound of the in-process semantic index (SLUICE_CACHE_SEMANTIC_MAX_ITEMS, default 100000). */
  maxSemanticItems: number;
  /** Folder of the offline embedder's vector file (SLUICE_EMBEDDINGS_DIR, default <dataDir>/embeddings). */
  embeddingsDir: string;
  /** Qdrant collection prefix (SLUICE_CACHE_QDRANT_COLLECTION, default "sluice_cache"). */
  qdrantCollection: string;
  /** How long a hit's request id can be reported as a false positive (default 24 h). */
  feedbackWindowMs: number;
  /** Clock (tests). */
  now: () => number;
}

export function cacheOptions(
  config: DataPlaneConfig,
  over: Partial<CacheOptions> = {},
  env = process.env,
): CacheOptions {
  const int = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
  return {
    maxBytes: int(env.SLUICE_CACHE_MAX_BYTES, 256 * 1024 * 1024),
    redisPrefix: env.SLUICE_CACHE_REDIS_PREFIX ?? 'sluice:cache:',
    vectorIndex: env.SLUICE_CACHE_VECTOR_INDEX === 'usearch' ? 'usearch' : 'scan',
    maxSemanticItems: int(env.SLUICE_CACHE_SEMANTIC_MAX_ITEMS, 100_000),
    embeddingsDir: env.SLUICE_EMBEDDINGS_DIR ?? join(config.dataDir, 'embeddings'),
    qdrantCollection: env.SLUICE_CACHE_QDRANT_COLLECTION ?? 'sluice_cache',
    feedbackWindowMs: 24 * 60 * 60 * 1000,
    now: Date.now,
    ...over,
  };
}
