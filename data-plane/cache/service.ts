/**
 * The cache behind the stage: exact store (memory or Redis), semantic tier (embedders + vector
 * index), counters, and the operations the admin routes expose (purge, feedback, stats).
 */
import type { Logger } from 'pino';
import type { Snapshot } from '../../common/snapshot.js';
import type { DataPlaneConfig } from '../config.js';
import { EmbedderRegistry } from './embedders/registry.js';
import type { CacheEntry } from './entry.js';
import { idPrefix } from './exact/key.js';
import { MemoryExactStore } from './exact/memory-store.js';
import { RedisExactStore } from './exact/redis-store.js';
import type { ExactStore } from './exact/store.js';
import { bump, CacheCounters, cacheErrors, cacheEvictions, cacheFalsePositives } from './metrics.js';
import type { CacheOptions } from './options.js';
import { SemanticTier } from './semantic/semantic-tier.js';
import { QdrantIndex } from './vector-index/qdrant-index.js';
import { ScanIndex } from './vector-index/scan-index.js';
import type { VectorIndex } from './vector-index/types.js';
import { UsearchIndex } from './vector-index/usearch-index.js';

const SWEEP_EVERY_MS = 60_000;

export type HitTier = 'hit-exact' | 'hit-semantic';

export class CacheService {
  readonly embedders: EmbedderRegistry;
  readonly semantic: SemanticTier;
  private readonly indexes = new Map<number, Promise<VectorIndex>>();
  private readonly sweepTimer: NodeJS.Timeout;

  private constructor(
    readonly store: ExactStore,
    readonly counters: CacheCounters,
    private readonly config: DataPlaneConfig,
    readonly options: CacheOptions,
    private readonly logger: Logger,
    snapshot: () => Snapshot | null,
  ) {
    this.embedders = new EmbedderRegistry(options.embeddingsDir, snapshot, logger);
    this.semantic = new SemanticTier(
      this.embedders,
      (dims) => this.indexFor(dims),
      () => Promise.all(this.indexes.values()),
      store,
      this.counters,
      options.now,
    );
    this.sweepTimer = setInterval(() => {
      this.semantic.sweep().catch((err: unknown) => this.logger.warn({ err }, 'semantic cache sweep failed'));
    }, SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  static async create(
    config: DataPlaneConfig,
    options: CacheOptions,
    logger: Logger,
    snapshot: () => Snapshot | null,
  ): Promise<CacheService> {
    const counters = new CacheCounters();
    const store: ExactStore = config.redisUrl
      ? await RedisExactStore.connect(config.redisUrl, options.redisPrefix, logger)
      : new MemoryExactStore(
          options.maxBytes,
          (reason) => {
            cacheEvictions.inc({ tier: 'exact', reason });
            bump(counters.evictions, `exact:${reason}`);
          },
          options.now,
        );
    return new CacheService(store, counters, config, options, logger, snapshot);
  }

  /** Starts loading the embedders the snapshot's policies use (off the request path). */
  prewarm(snapshot: Snapshot): void {
    for (const policy of Object.values(snapshot.cachePolicies)) {
      if (policy.semantic.enabled) void this.embedders.load(policy.semantic.embedder);
    }
  }

  /** Resolves once every semantic embedder of the snapshot is loaded (or failed). */
  async ready(snapshot: Snapshot): Promise<void> {
    await Promise.all(
      Object.values(snapshot.cachePolicies)
        .filter((p) => p.semantic.enabled)
        .map((p) => this.embedders.load(p.semantic.embedder)),
    );
  }

  private indexFor(dims: number): Promise<VectorIndex> {
    let p = this.indexes.get(dims);
    if (!p) {
      const onEvict = () => {
        cacheEvictions.inc({ tier: 'semantic', reason: 'size' });
        bump(this.counters.evictions, 'semantic:size');
      };
      p = this.config.qdrantUrl
        ? QdrantIndex.open(this.config.qdrantUrl, dims, this.options.qdrantCollection)
        : Promise.resolve(
            this.options.vectorIndex === 'usearch'
              ? new UsearchIndex(dims, this.options.maxSemanticItems, onEvict)
              : new ScanIndex(dims, this.options.maxSemanticItems, onEvict),
          );
      p.catch(() => this.indexes.delete(dims));
      this.indexes.set(dims, p);
    }
    return p;
  }

  /** An exact-tier answer, or null (expired for the exact tier, absent, or backend trouble). */
  async getExact(id: string): Promise<CacheEntry | null> {
    const entry = await this.store.get(id);
    if (!entry || entry.exactUntil === null || entry.exactUntil <= this.options.now()) return null;
    return entry;
  }

  async put(entry: CacheEntry): Promise<void> {
    await this.store.set(entry, Math.max(1, entry.expiresAt - this.options.now()));
  }

  async rememberHit(requestId: string, entryId: string, tier: HitTier): Promise<void> {
    await this.store.rememberRequest(requestId, `${tier}|${entryId}`, this.options.feedbackWindowMs);
  }

  /**
   * A client reports a wrong answer: evict the entry from both tiers and count a false positive.
   * Accepts a request id (of a hit) or an entry id (x-sluice-cache-entry).
   */
  async feedback(ref: { requestId?: string; entryId?: string }): Promise<{ entryId: string; tier: string } | null> {
    let entryId = ref.entryId ?? null;
    let tier = 'unknown';
    if (ref.requestId) {
      const remembered = await this.store.entryForRequest(ref.requestId);
      if (!remembered) return null;
      const bar = remembered.indexOf('|');
      tier = remembered.slice(0, bar);
      entryId = remembered.slice(bar + 1);
    }
    if (!entryId) return null;
    const removedExact = await this.store.delete(entryId);
    const removedSemantic = await this.semantic.removeEntry(entryId);
    if (!removedExact && removedSemantic === 0 && !ref.requestId) return null;
    cacheFalsePositives.inc({ tier });
    bump(this.counters.falsePositives, tier);
    cacheEvictions.inc({ tier: 'exact', reason: 'feedback' });
    return { entryId, tier };
  }

  async purge(namespace: string | null, route: string | null): Promise<{ exact: number; semantic: number }> {
    const exact = await this.store.purge(idPrefix(namespace, route));
    const semantic = await this.semantic.purge(namespace, route);
    if (exact > 0) cacheEvictions.inc({ tier: 'exact', reason: 'purge' }, exact);
    if (semantic > 0) cacheEvictions.inc({ tier: 'semantic', reason: 'purge' }, semantic);
    return { exact, semantic };
  }

  async stats() {
    const indexes = await Promise.all(
      [...this.indexes.entries()].map(async ([dims, p]) => {
        const index = await p;
        return { dims, kind: index.kind, items: await index.size() };
      }),
    );
    return {
      exact: await this.store.stats(),
      semantic: { indexes, embedders: this.embedders.status() },
      ...this.counters.snapshot(),
    };
  }

  noteError(op: string, err: unknown): void {
    cacheErrors.inc({ op });
    this.logger.warn({ err, op }, 'cache operation failed; continuing without cache');
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const p of this.indexes.values()) await (await p.catch(() => null))?.close();
    await this.embedders.close();
    await this.store.close();
  }
}
