import type { PromptFacts } from '../semantic/guard.js';

/** What the semantic tier remembers about one cached prompt (the vector lives in the index). */
export interface SemanticItem {
  /** Unique per (scope, entry). */
  id: string;
  /** Exact-store id of the answer. */
  entryId: string;
  /** Context-scope hash: namespace + embedder + route + params + system + earlier turns. */
  scope: string;
  namespace: string;
  route: string;
  /** The guard's facts of the cached prompt, compared against the new prompt before a hit. */
  facts: PromptFacts;
  createdAt: number;
  expiresAt: number;
}

export interface Neighbor {
  item: SemanticItem;
  /** Cosine similarity (vectors are unit length, so the dot product). */
  score: number;
}

/** Nearest-neighbour search restricted to one context scope. */
export interface VectorIndex {
  readonly kind: 'scan' | 'usearch' | 'qdrant';
  add(item: SemanticItem, vector: Float32Array): Promise<void>;
  /** Up to k neighbours inside `scope`, best first, not expired at `now`. */
  search(scope: string, vector: Float32Array, k: number, now: number): Promise<Neighbor[]>;
  remove(id: string): Promise<void>;
  /** Removes the items pointing at an exact entry (feedback, purge). */
  removeEntry(entryId: string): Promise<number>;
  purge(match: { namespace: string | null; route: string | null }): Promise<number>;
  /** Drops expired items; returns how many. */
  sweep(now: number): Promise<number>;
  size(): Promise<number>;
  close(): Promise<void>;
}
