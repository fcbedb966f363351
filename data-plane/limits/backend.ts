/**
 * Chooses the limiter backend from process config (redisUrl null → in-memory) and shares one
 * instance per data-plane config between the limits stage and the provider-account gate. The
 * in-memory backend restores period-to-date spend from the SQLite usage ledger.
 */
import type { Logger } from 'pino';
import type { DataPlaneConfig } from '../config.js';
import { openSpendLedger, type SpendLedger } from '../usage/ledger.js';
import { MemoryLimiter } from './memory-limiter.js';
import { RedisLimiter } from './redis-limiter.js';
import type { Limiter } from './types.js';

export const REDIS_KEY_PREFIX = 'sluice:';
const BUDGET_NODE = /^(key|team|org):/;

export interface LimiterBackend {
  limiter: Limiter;
  /** Set for the in-memory backend (its durable spend source). */
  ledger: SpendLedger | null;
  close(): Promise<void>;
}

async function createBackend(config: DataPlaneConfig, logger: Logger): Promise<LimiterBackend> {
  if (config.redisUrl) {
    const limiter = await RedisLimiter.create({
      url: config.redisUrl,
      keyPrefix: process.env.SLUICE_REDIS_KEY_PREFIX ?? REDIS_KEY_PREFIX,
    });
    logger.info({ backend: 'redis' }, 'limits: shared limiter in redis');
    return { limiter, ledger: null, close: () => limiter.close() };
  }
  const ledger = openSpendLedger(config.dataDir);
  const limiter = new MemoryLimiter({
    restoreSpend: (nodeId, since) => (BUDGET_NODE.test(nodeId) ? ledger.spendMicrosSince(nodeId, since) : 0),
  });
  logger.info(
    { backend: 'memory', dataDir: config.dataDir },
    'limits: in-process limiter, spend restored from the ledger',
  );
  return {
    limiter,
    ledger,
    async close() {
      await limiter.close();
      ledger.close();
    },
  };
}

const shared = new WeakMap<DataPlaneConfig, Promise<LimiterBackend>>();

/** One backend per config object (the stage and the gate of one pipeline share it). */
export function sharedLimiterBackend(config: DataPlaneConfig, logger: Logger): Promise<LimiterBackend> {
  let p = shared.get(config);
  if (!p) {
    p = createBackend(config, logger);
    shared.set(config, p);
  }
  return p;
}

/** Closes and forgets the shared backend (the limits stage's close(), after requests drained). */
export async function closeSharedLimiterBackend(config: DataPlaneConfig): Promise<void> {
  const p = shared.get(config);
  if (!p) return;
  shared.delete(config);
  await (await p).close();
}
