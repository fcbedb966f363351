import type { CacheEntry } from '../entry.js';

export interface PurgeMatch {
  /** Namespace tag (shortTag of the namespace) or null for all. */
  ns: string | null;
  /** Route tag or null for all. */
  route: string | null;
}

export interface StoreStats {
  backend: 'memory' | 'redis';
  entries: number;
  bytes: number | null;
  maxBytes: number | null;
  evictions: number;
}

/** Where exact-tier answers live (also the answers semantic hits point to). */
export interface ExactStore {
  get(id: string): Promise<CacheEntry | null>;
  set(entry: CacheEntry, ttlMs: number): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Removes every entry whose id matches; returns how many. */
  purge(match: PurgeMatch): Promise<number>;
  stats(): Promise<StoreStats>;
  /** Remembers which entry answered a request, so feedback can name the request id. */
  rememberRequest(requestId: string, entryId: string, ttlMs: number): Promise<void>;
  entryForRequest(requestId: string): Promise<string | null>;
  close(): Promise<void>;
}
