import { LocalIndexBase } from './local-items.js';
import { nativeExactSearch, nativeTopK } from './native-scan.js';
import type { Neighbor, SemanticItem, VectorIndex } from './types.js';

/** One scope's vectors in one contiguous Float32Array (row i = item ids[i]). */
class Partition {
  ids: string[] = [];
  private readonly rows = new Map<string, number>();
  data: Float32Array;
  constructor(private readonly dims: number) {
    this.data = new Float32Array(dims * 16);
  }
  get count(): number {
    return this.ids.length;
  }
  add(id: string, v: Float32Array): void {
    const need = (this.ids.length + 1) * this.dims;
    if (need > this.data.length) {
      const grown = new Float32Array(Math.max(need, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(v, this.ids.length * this.dims);
    this.rows.set(id, this.ids.length);
    this.ids.push(id);
  }
  /** Swap-with-last removal keeps the storage contiguous. */
  remove(id: string): boolean {
    const i = this.rows.get(id);
    if (i === undefined) return false;
    this.rows.delete(id);
    const last = this.ids.length - 1;
    if (i !== last) {
      this.data.copyWithin(i * this.dims, last * this.dims, (last + 1) * this.dims);
      const moved = this.ids[last]!;
      this.ids[i] = moved;
      this.rows.set(moved, i);
    }
    this.ids.pop();
    return true;
  }
}

/** Partitions at least this large are scanned with usearch's SIMD exact search (when available). */
const NATIVE_FROM = 256;
/** Candidates fetched beyond k by the native scan, so expired items filtered out still leave k. */
const OVERFETCH = 4;

/**
 * Exact in-process search (the default): vectors are unit length, so cosine = dot product, and a
 * scope's vectors sit contiguously so a scan is one tight loop (SIMD via usearch's exactSearch for
 * large partitions). Bounded to `maxItems` (oldest evicted first).
 */
export class ScanIndex extends LocalIndexBase implements VectorIndex {
  readonly kind = 'scan' as const;
  private readonly partitions = new Map<string, Partition>();

  constructor(
    private readonly dims: number,
    private readonly maxItems: number,
    private readonly onEvict: () => void = () => {},
  ) {
    super();
  }

  async add(item: SemanticItem, vector: Float32Array): Promise<void> {
    if (vector.length !== this.dims) throw new Error(`vector has ${vector.length} dimensions, index ${this.dims}`);
    if (this.items.byId.has(item.id)) await this.remove(item.id);
    let p = this.partitions.get(item.scope);
    if (!p) {
      p = new Partition(this.dims);
      this.partitions.set(item.scope, p);
    }
    p.add(item.id, vector);
    this.items.add(item);
    while (this.items.byId.size > this.maxItems) {
      const oldest = this.items.oldest();
      if (!oldest) break;
      await this.remove(oldest);
      this.onEvict();
    }
  }

  async search(scope: string, vector: Float32Array, k: number, now: number): Promise<Neighbor[]> {
    const p = this.partitions.get(scope);
    if (!p) return [];
    if (nativeExactSearch && p.count >= NATIVE_FROM) {
      const { rows, scores } = nativeTopK(p.data, p.count, this.dims, vector, k * OVERFETCH);
      const out: Neighbor[] = [];
      for (let i = 0; i < rows.length && out.length < k; i++) {
        const item = this.items.byId.get(p.ids[rows[i]!]!);
        if (item && item.expiresAt > now) out.push({ item, score: scores[i]! });
      }
      return out;
    }
    const d = this.dims;
    const data = p.data;
    const best: Neighbor[] = [];
    for (let r = 0; r < p.count; r++) {
      let s = 0;
      const base = r * d;
      for (let j = 0; j < d; j++) s += data[base + j]! * vector[j]!;
      if (best.length === k && s <= best[best.length - 1]!.score) continue;
      const item = this.items.byId.get(p.ids[r]!)!;
      if (item.expiresAt <= now) continue;
      best.push({ item, score: s });
      best.sort((a, b) => b.score - a.score);
      if (best.length > k) best.pop();
    }
    return best;
  }

  async remove(id: string): Promise<void> {
    const item = this.items.delete(id);
    if (!item) return;
    const p = this.partitions.get(item.scope);
    if (p?.remove(id) && p.count === 0) this.partitions.delete(item.scope);
  }

  async close(): Promise<void> {
    this.partitions.clear();
  }
}
