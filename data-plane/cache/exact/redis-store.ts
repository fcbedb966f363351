import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CacheEntry } from '../entry.js';
import type { ExactStore, PurgeMatch, StoreStats } from './store.js';

/** Escapes Redis glob metacharacters so a configured prefix matches literally in SCAN. */
const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * Exact cache shared by every replica pointing at the same Redis. Values are the entry's JSON
 * with a PX TTL; memory is bounded by Redis itself (maxmemory + an LRU/LFU eviction policy).
 * Redis trouble never fails a request: reads degrade to misses and writes are dropped (logged).
 */
export class RedisExactStore implements ExactStore {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  static async connect(url: string, prefix: string, logger: Logger): Promise<RedisExactStore> {
    const redis = new Redis(url, {
      lazyConnect: true,
      // Fail fast on the hot path instead of queueing commands while disconnected.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
    });
    redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'cache redis error'));
    try {
      await redis.connect();
    } catch (err) {
      logger.error({ err }, 'cache redis unreachable at start; exact cache misses until it connects');
    }
    return new RedisExactStore(redis, prefix, logger);
  }

  private key(id: string): string {
    return `${this.prefix}e:${id}`;
  }

  async get(id: string): Promise<CacheEntry | null> {
    try {
      const raw = await this.redis.get(this.key(id));
      return raw ? (JSON.parse(raw) as CacheEntry) : null;
    } catch (err) {
      this.logger.warn({ err }, 'cache redis read failed; treating as miss');
      return null;
    }
  }

  async set(entry: CacheEntry, ttlMs: number): Promise<void> {
    try {
      await this.redis.set(this.key(entry.id), JSON.stringify(entry), 'PX', Math.max(1, Math.round(ttlMs)));
    } catch (err) {
      this.logger.warn({ err }, 'cache redis write failed; entry dropped');
    }
  }

  async delete(id: string): Promise<boolean> {
    return (await this.redis.del(this.key(id))) > 0;
  }

  async purge(match: PurgeMatch): Promise<number> {
    const pattern = `${globEscape(this.prefix)}e:${match.ns ?? '*'}-${match.route ?? '*'}-*`;
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) removed += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  }

  async stats(): Promise<StoreStats> {
    let entries = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${globEscape(this.prefix)}e:*`, 'COUNT', 1000);
      cursor = next;
      entries += keys.length;
    } while (cursor !== '0');
    return { backend: 'redis', entries, bytes: null, maxBytes: null, evictions: 0 };
  }

  async rememberRequest(requestId: string, entryId: string, ttlMs: number): Promise<void> {
    try {
      await this.redis.set(`${this.prefix}r:${requestId}`, entryId, 'PX', Math.max(1, Math.round(ttlMs)));
    } catch (err) {
      this.logger.warn({ err }, 'cache redis write failed (request ref)');
    }
  }

  async entryForRequest(requestId: string): Promise<string | null> {
    return this.redis.get(`${this.prefix}r:${requestId}`);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
