/** Finished queued results, handed out once to the key that queued them, then gone (or expired). */
import type { StoredResult } from './job.js';

export class ResultStore {
  private readonly results = new Map<string, StoredResult>();

  constructor(private readonly now: () => number) {}

  put(id: string, result: StoredResult): void {
    this.results.set(id, result);
  }

  /** The result, if `keyHash` owns it; removes it (results are read once). */
  take(id: string, keyHash: string): StoredResult | null {
    const r = this.results.get(id);
    if (!r || r.keyHash !== keyHash) return null;
    this.results.delete(id);
    if (r.expiresAt <= this.now()) return null;
    return r;
  }

  has(id: string, keyHash: string): boolean {
    const r = this.results.get(id);
    return r !== undefined && r.keyHash === keyHash && r.expiresAt > this.now();
  }

  /** Drops expired results; returns the earliest remaining expiry (or Infinity). */
  sweep(): number {
    const now = this.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const [id, r] of this.results) {
      if (r.expiresAt <= now) this.results.delete(id);
      else earliest = Math.min(earliest, r.expiresAt);
    }
    return earliest;
  }

  get size(): number {
    return this.results.size;
  }

  clear(): void {
    this.results.clear();
  }
}
