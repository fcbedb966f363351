/**
 * A data-plane replica in its own process, for the shared-Redis cache test:
 *   node --import tsx test/cache/replica-process.ts <snapshot.json> <redisUrl> <redisPrefix> <dataDir>
 * Prints "LISTENING <url>" once it serves; exits on SIGTERM after a graceful close.
 */
import { readFile } from 'node:fs/promises';
import pino from 'pino';
import type { Snapshot } from '../../common/snapshot.js';
import { startDataPlane } from '../../data-plane/main.js';

const [snapshotPath, redisUrl, prefix, dataDir] = process.argv.slice(2);
process.env.SLUICE_CACHE_REDIS_PREFIX = prefix;
const snapshot = JSON.parse(await readFile(snapshotPath!, 'utf8')) as Snapshot;
const dp = await startDataPlane(
  {
    host: '127.0.0.1',
    port: 0,
    controlPlaneUrl: null,
    snapshotFile: null,
    dataDir: dataDir!,
    redisUrl: redisUrl!,
    clickhouseUrl: null,
    qdrantUrl: null,
    replicaId: `cache-replica-${process.pid}`,
    logLevel: 'silent',
  },
  { snapshot, logger: pino({ level: 'silent' }) },
);
process.stdout.write(`LISTENING ${dp.url}\n`);
process.on('SIGTERM', () => {
  dp.close().then(() => process.exit(0));
});
