/**
 * The semantic tier: embed the last user turn, search the context scope, verify, and point at the
 * exact-store entry holding the answer. Verification before a hit is served:
 *   (a) scope compatibility — same namespace, route and scope hash (params, system prompt, earlier
 *       turns), not expired — re-checked on the candidate itself, whatever the index returned;
 *   (b) the entity/number/negation guard (guard.ts).
 */
import type { ChatRequest } from '../../../common/openai-types.js';
import type { CachePolicyRecord } from '../../../common/snapshot.js';
import { sha256Hex } from '../canonical.js';
import type { EmbedderRegistry } from '../embedders/registry.js';
import type { CacheEntry } from '../entry.js';
import type { ExactStore } from '../exact/store.js';
import { bump, type CacheCounters, cacheEvictions, cacheGuardRejections, semanticLookupSeconds } from '../metrics.js';
import type { SemanticItem, VectorIndex } from '../vector-index/types.js';
import { extractFacts, factsMatch, type PromptFacts } from './guard.js';
import { semanticQuery } from './scope.js';

/** Neighbours examined per lookup (the best one failing the guard does not end the search). */
const CANDIDATES = 5;

/** What a semantic miss hands to the fill: the embedding is reused, not recomputed. */
export interface SemanticPending {
  scope: string;
  text: string;
  vector: Float32Array;
  facts: PromptFacts;
  namespace: string;
  route: string;
  dims: number;
}

export type SemanticLookup =
  | { type: 'hit'; entry: CacheEntry; similarity: number; item: SemanticItem }
  | { type: 'miss'; pending: SemanticPending | null };

export class SemanticTier {
  constructor(
    private readonly embedders: EmbedderRegistry,
    private readonly indexFor: (dims: number) => Promise<VectorIndex>,
    private readonly allIndexes: () => Promise<VectorIndex[]>,
    private readonly store: ExactStore,
    private readonly counters: CacheCounters,
    private readonly now: () => number,
  ) {}

  async lookup(
    policy: CachePolicyRecord,
    body: ChatRequest,
    namespace: string,
    route: string,
    read: boolean,
  ): Promise<SemanticLookup> {
    const embedder = this.embedders.get(policy.semantic.embedder);
    if (!embedder) return { type: 'miss', pending: null };
    const q = semanticQuery(body, namespace, route, embedder.id, policy.semantic.maxMessages);
    if (!q) return { type: 'miss', pending: null };
    const started = process.hrtime.bigint();
    const vector = await embedder.embed(q.text);
    const facts = extractFacts(q.text);
    const pending: SemanticPending = {
      scope: q.scope,
      text: q.text,
      vector,
      facts,
      namespace,
      route,
      dims: vector.length,
    };
    if (!read) return { type: 'miss', pending };
    try {
      const index = await this.indexFor(vector.length);
      const now = this.now();
      const neighbors = await index.search(q.scope, vector, CANDIDATES, now);
      for (const { item, score } of neighbors) {
        if (score < policy.semantic.threshold) break;
        const compatible =
          item.scope === q.scope && item.namespace === namespace && item.route === route && item.expiresAt > now;
        if (!compatible) {
          this.reject('scope');
          continue;
        }
        const guard = factsMatch(facts, item.facts);
        if (!guard.ok) {
          this.reject(guard.reason);
          continue;
        }
        const entry = await this.store.get(item.entryId);
        if (!entry || entry.namespace !== namespace || entry.route !== route) {
          // The answer was evicted or purged: drop the dangling pointer.
          await index.remove(item.id);
          cacheEvictions.inc({ tier: 'semantic', reason: 'dangling' });
          continue;
        }
        return { type: 'hit', entry, similarity: Math.min(1, score), item };
      }
      return { type: 'miss', pending };
    } finally {
      semanticLookupSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  async add(pending: SemanticPending, entryId: string, ttlMs: number): Promise<void> {
    const now = this.now();
    const index = await this.indexFor(pending.dims);
    await index.add(
      {
        id: sha256Hex(`${pending.scope}\n${entryId}`),
        entryId,
        scope: pending.scope,
        namespace: pending.namespace,
        route: pending.route,
        facts: pending.facts,
        createdAt: now,
        expiresAt: now + ttlMs,
      },
      pending.vector,
    );
  }

  async removeEntry(entryId: string): Promise<number> {
    let n = 0;
    for (const index of await this.allIndexes()) n += await index.removeEntry(entryId);
    return n;
  }

  async purge(namespace: string | null, route: string | null): Promise<number> {
    let n = 0;
    for (const index of await this.allIndexes()) n += await index.purge({ namespace, route });
    return n;
  }

  async sweep(): Promise<number> {
    let n = 0;
    for (const index of await this.allIndexes()) n += await index.sweep(this.now());
    if (n > 0) cacheEvictions.inc({ tier: 'semantic', reason: 'expired' }, n);
    return n;
  }

  private reject(reason: string): void {
    cacheGuardRejections.inc({ reason });
    bump(this.counters.rejections, reason);
  }
}
