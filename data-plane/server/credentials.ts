/** Reading and checking the secrets clients present. Secrets are hashed at once and never logged. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Snapshot } from '../../common/snapshot.js';

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** `Authorization: Bearer <secret>` (OpenAI clients) or `x-api-key: <secret>` (Anthropic clients). */
export function presentedSecret(headers: Readonly<Record<string, string>>): string | null {
  const auth = headers.authorization;
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    const secret = auth.slice(7).trim();
    if (secret) return secret;
  }
  const apiKey = headers['x-api-key']?.trim();
  return apiKey ? apiKey : null;
}

// Recently presented secrets → their SHA-256, so a busy key is hashed once, not per request.
// Bounded (cleared when full) so a client spraying random keys cannot grow it.
const HASH_CACHE_MAX = 10_000;
const hashCache = new Map<string, string>();

export function presentedKeyHash(headers: Readonly<Record<string, string>>): string | null {
  const secret = presentedSecret(headers);
  if (secret === null) return null;
  let hash = hashCache.get(secret);
  if (hash === undefined) {
    if (hashCache.size >= HASH_CACHE_MAX) hashCache.clear();
    hash = sha256Hex(secret);
    hashCache.set(secret, hash);
  }
  return hash;
}

/**
 * True when the bearer token's SHA-256 is one of the snapshot's admin hashes. Every configured
 * hash is compared, in constant time, so the time taken does not reveal which (or how much) matched.
 */
export function isAdminToken(snapshot: Snapshot, headers: Readonly<Record<string, string>>): boolean {
  const secret = presentedSecret(headers);
  if (!secret) return false;
  const presented = createHash('sha256').update(secret).digest();
  let match = false;
  for (const hex of snapshot.gateway.adminKeyHashes) {
    if (!/^[0-9a-f]{64}$/i.test(hex)) continue;
    if (timingSafeEqual(presented, Buffer.from(hex, 'hex'))) match = true;
  }
  return match;
}
