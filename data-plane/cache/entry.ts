import type { ChatResponse, EmbeddingsResponse } from '../../common/openai-types.js';
import type { NormalizedUsage } from '../../common/usage.js';
import type { CacheKind } from './exact/key.js';

/** One cached answer: the normalized final response plus what it took to produce it. */
export interface CacheEntry {
  v: 1;
  /** Exact-key id (see exact/key.ts); also what x-sluice-cache-entry reports. */
  id: string;
  kind: CacheKind;
  namespace: string;
  route: string;
  response: ChatResponse | EmbeddingsResponse;
  /** The original call's usage (what a hit saves). */
  usage: NormalizedUsage;
  provider: string | null;
  model: string | null;
  /** Epoch ms of the original call (its price is what a hit saves). */
  createdAt: number;
  /** Until when the exact tier may serve it (null: stored only for the semantic tier). */
  exactUntil: number | null;
  /** Storage expiry: the longest of the exact and semantic TTLs. */
  expiresAt: number;
}

export function isChatEntry(e: CacheEntry): e is CacheEntry & { response: ChatResponse } {
  return e.kind === 'chat';
}

/** Approximate heap bytes of an entry: its JSON size, doubled for UTF-16 strings and object overhead. */
export function entryBytes(e: CacheEntry): number {
  return JSON.stringify(e).length * 2 + 256;
}
