import { afterAll } from 'vitest';
import { RedisLimiter } from '../../data-plane/limits/redis-limiter.js';
import type { Limiter } from '../../data-plane/limits/types.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/services.js';
import { limiterSuite } from './limiter-suite.js';

const open: Limiter[] = [];
afterAll(async () => {
  for (const l of open) await l.close();
});

limiterSuite('redis', {
  make: async () => {
    const l = await RedisLimiter.create({ url: TEST_REDIS_URL, keyPrefix: uniquePrefix('limiter') });
    open.push(l);
    return l;
  },
});
