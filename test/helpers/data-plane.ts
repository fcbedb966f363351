/**
 * Starts a real data plane on 127.0.0.1:0 with a temp data dir, for any area's tests.
 *   const dp = await startTestDataPlane({ snapshot: makeSnapshot({ baseUrl }) });
 *   … fetch(`${dp.url}/v1/chat/completions`, …) …
 *   await dp.close();   // also removes the temp dir
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Snapshot } from '../../common/snapshot.js';
import type { DataPlaneConfig } from '../../data-plane/config.js';
import { type DataPlaneHandle, type DataPlaneOptions, startDataPlane } from '../../data-plane/main.js';

export interface TestDataPlaneOptions extends Omit<DataPlaneOptions, 'snapshot'> {
  snapshot?: Snapshot;
  config?: Partial<DataPlaneConfig>;
}

export interface TestDataPlane extends DataPlaneHandle {
  dataDir: string;
  config: DataPlaneConfig;
}

export async function startTestDataPlane(opts: TestDataPlaneOptions = {}): Promise<TestDataPlane> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-dp-'));
  const config: DataPlaneConfig = {
    host: '127.0.0.1',
    port: 0,
    controlPlaneUrl: null,
    snapshotFile: null,
    dataDir,
    redisUrl: null,
    clickhouseUrl: null,
    qdrantUrl: null,
    replicaId: `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    logLevel: 'silent',
    ...opts.config,
  };
  const { config: _ignored, ...rest } = opts;
  let handle: DataPlaneHandle;
  try {
    handle = await startDataPlane(config, {
      ...rest,
      logger: opts.logger ?? pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' }),
    });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...handle,
    snapshots: handle.snapshots,
    dataDir,
    config,
    async close() {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
