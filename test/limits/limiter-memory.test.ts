import { MemoryLimiter } from '../../data-plane/limits/memory-limiter.js';
import { limiterSuite } from './limiter-suite.js';

limiterSuite('memory', { make: async () => new MemoryLimiter() });
