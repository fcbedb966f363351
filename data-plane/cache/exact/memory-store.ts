import { type CacheEntry, entryBytes } from '../entry.js';
import { idMatches } from './key.js';
import type { ExactStore, PurgeMatch, StoreStats } from './store.js';

const MAX_REQUEST_REFS = 50_000;

interface Slot {
  entry: CacheEntry;
  bytes: number;
  expiresAt: number;
}

/**
 * In-process LRU bounded in bytes (the embedded default). A Map keeps insertion order, so
 * re-inserting on read makes the first key the least recently used one.
 */
export class MemoryExactStore implements ExactStore {
  private readonly slots = new Map<string, Slot>();
  private bytes = 0;
  /** Request id → entry id of recent hits/fills (bounded; oldest dropped first). */
  private readonly requests = new Map<string, { entryId: string; until: number }>();
  private evictions = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onEvict: (reason: 'size' | 'expired') => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  async get(id: string): Promise<CacheEntry | null> {
    const slot = this.slots.get(id);
    if (!slot) return null;
    if (slot.expiresAt <= this.now()) {
      this.remove(id, slot);
      this.onEvict('expired');
      return null;
    }
    this.slots.delete(id);
    this.slots.set(id, slot);
    return slot.entry;
  }

  async set(entry: CacheEntry, ttlMs: number): Promise<void> {
    const bytes = entryBytes(entry);
    if (bytes > this.maxBytes) return; // larger than the whole cache: never stored
    const old = this.slots.get(entry.id);
    if (old) this.remove(entry.id, old);
    this.slots.set(entry.id, { entry, bytes, expiresAt: this.now() + ttlMs });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes) {
      const oldest = this.slots.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value, this.slots.get(oldest.value)!);
      this.evictions++;
      this.onEvict('size');
    }
  }

  async delete(id: string): Promise<boolean> {
    const slot = this.slots.get(id);
    if (!slot) return false;
    this.remove(id, slot);
    return true;
  }

  async purge(match: PurgeMatch): Promise<number> {
    let n = 0;
    for (const [id, slot] of this.slots) {
      if (idMatches(id, match)) {
        this.remove(id, slot);
        n++;
      }
    }
    return n;
  }

  async stats(): Promise<StoreStats> {
    return {
      backend: 'memory',
      entries: this.slots.size,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      evictions: this.evictions,
    };
  }

  async rememberRequest(requestId: string, entryId: string, ttlMs: number): Promise<void> {
    this.requests.set(requestId, { entryId, until: this.now() + ttlMs });
    if (this.requests.size > MAX_REQUEST_REFS) {
      const oldest = this.requests.keys().next();
      if (!oldest.done) this.requests.delete(oldest.value);
    }
  }

  async entryForRequest(requestId: string): Promise<string | null> {
    const ref = this.requests.get(requestId);
    if (!ref || ref.until <= this.now()) return null;
    return ref.entryId;
  }

  async close(): Promise<void> {
    this.requests.clear();
    this.slots.clear();
    this.bytes = 0;
  }

  private remove(id: string, slot: Slot): void {
    this.slots.delete(id);
    this.bytes -= slot.bytes;
  }
}
