import { createRequire } from 'node:module';
import { LocalIndexBase } from './local-items.js';
import type { Neighbor, SemanticItem, VectorIndex } from './types.js';

interface UsearchMatches {
  keys: BigUint64Array;
  distances: Float32Array;
}
interface NativeIndex {
  add(keys: bigint, vectors: Float32Array): void;
  search(vector: Float32Array, k: number, threads: number): UsearchMatches;
  remove(keys: bigint): number;
  size(): number;
}
interface UsearchModule {
  Index: new (config: {
    dimensions: number;
    metric: string;
    quantization: string;
    connectivity: number;
    expansion_add: number;
    expansion_search: number;
    multi: boolean;
  }) => NativeIndex;
}

// usearch 2.25's ESM build cannot locate its native binary (recursion in getBuildDir); its CJS
// build can, so load it through require.
const usearch = createRequire(import.meta.url)('usearch') as UsearchModule;

/** Candidates fetched beyond k, so that expired items filtered out still leave k answers. */
const OVERFETCH = 4;

/**
 * usearch HNSW graphs, one per context scope, for large caches where a linear scan of a busy scope
 * gets slow. Approximate: recall is high but not guaranteed (see docs/cache.md for measurements).
 */
export class UsearchIndex extends LocalIndexBase implements VectorIndex {
  readonly kind = 'usearch' as const;
  private readonly graphs = new Map<string, Graph>();
  private readonly keyOf = new Map<string, bigint>();
  private readonly idOf = new Map<bigint, string>();
  private nextKey = 1n;

  constructor(
    private readonly dims: number,
    private readonly maxItems: number,
    private readonly onEvict: () => void = () => {},
  ) {
    super();
  }

  private graph(scope: string): Graph {
    let g = this.graphs.get(scope);
    if (!g) {
      g = {
        index: new usearch.Index({
          dimensions: this.dims,
          metric: 'ip',
          quantization: 'f32',
          connectivity: 16,
          expansion_add: 64,
          expansion_search: 64,
          multi: false,
        }),
        count: 0,
      };
      this.graphs.set(scope, g);
    }
    return g;
  }

  async add(item: SemanticItem, vector: Float32Array): Promise<void> {
    if (vector.length !== this.dims) throw new Error(`vector has ${vector.length} dimensions, index ${this.dims}`);
    if (this.items.byId.has(item.id)) await this.remove(item.id);
    const key = this.nextKey++;
    const g = this.graph(item.scope);
    g.index.add(key, vector);
    g.count++;
    this.keyOf.set(item.id, key);
    this.idOf.set(key, item.id);
    this.items.add(item);
    while (this.items.byId.size > this.maxItems) {
      const oldest = this.items.oldest();
      if (!oldest) break;
      await this.remove(oldest);
      this.onEvict();
    }
  }

  async search(scope: string, vector: Float32Array, k: number, now: number): Promise<Neighbor[]> {
    const g = this.graphs.get(scope);
    if (!g || g.count === 0) return [];
    const m = g.index.search(vector, Math.min(g.count, k * OVERFETCH), 1);
    const out: Neighbor[] = [];
    for (let i = 0; i < m.keys.length && out.length < k; i++) {
      const id = this.idOf.get(m.keys[i]!);
      const item = id ? this.items.byId.get(id) : undefined;
      if (!item || item.expiresAt <= now) continue;
      // Inner-product distance is 1 − dot.
      out.push({ item, score: 1 - m.distances[i]! });
    }
    return out;
  }

  async remove(id: string): Promise<void> {
    const item = this.items.delete(id);
    const key = this.keyOf.get(id);
    if (!item || key === undefined) return;
    this.keyOf.delete(id);
    this.idOf.delete(key);
    const g = this.graphs.get(item.scope);
    if (!g) return;
    g.index.remove(key);
    g.count--;
    if (g.count === 0) this.graphs.delete(item.scope);
  }

  async close(): Promise<void> {
    this.graphs.clear();
  }
}

interface Graph {
  index: NativeIndex;
  count: number;
}
