/**
 * Starts one data-plane replica: snapshot store (+ file / control-plane push), the stage pipeline,
 * and the uWebSockets.js server. `close()` is graceful: stop accepting, let requests in flight
 * finish (bounded), then close the pipeline (stages flush) and the remaining connections.
 */
import type { Logger } from 'pino';
import type { Snapshot } from '../common/snapshot.js';
import type { DataPlaneConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import type { Pipeline } from './pipeline/build.js';
import { startHttpServer } from './server/app.js';
import { InFlight } from './server/in-flight.js';
import { type FileWatcher, loadSnapshotFile, watchSnapshotFile } from './snapshot/file-source.js';
import { type PushClient, startPushClient } from './snapshot/push-client.js';
import { SnapshotStore } from './snapshot/store.js';

export interface DataPlaneOptions {
  /** An initial snapshot (tests, embedded use). */
  snapshot?: Snapshot;
  logger?: Logger;
  /** Replaces the built pipeline (tests of the server core only). */
  pipeline?: Pipeline;
  /** How long close() waits for requests in flight before cutting them (default 10 s). */
  drainTimeoutMs?: number;
  /** Wait for the control plane's first snapshot before resolving (default false: /readyz tells). */
  waitForSnapshot?: boolean;
}

export interface DataPlaneHandle {
  port: number;
  /** http://127.0.0.1:port (or the configured host). */
  url: string;
  snapshot(): Snapshot | null;
  /** The live snapshot store (hot swap, onSwap listeners). */
  readonly snapshots: SnapshotStore;
  close(): Promise<void>;
}

export async function startDataPlane(config: DataPlaneConfig, opts: DataPlaneOptions = {}): Promise<DataPlaneHandle> {
  const logger = opts.logger ?? createLogger(config);
  const snapshots = new SnapshotStore((err) => logger.error({ err }, 'snapshot swap listener failed'));
  if (opts.snapshot) {
    const r = snapshots.offer(opts.snapshot);
    if (!r.ok) throw new Error(`initial snapshot is invalid: ${r.reason}`);
  }
  if (config.snapshotFile) await loadSnapshotFile(snapshots, config.snapshotFile);

  // Loaded lazily so a test that supplies its own pipeline does not load every stage's dependencies.
  const pipeline =
    opts.pipeline ?? (await (await import('./pipeline/build.js')).buildPipeline({ config, logger, snapshots }));
  const inFlight = new InFlight();
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    server = await startHttpServer({ pipeline, snapshots, logger, inFlight }, config.host, config.port);
  } catch (err) {
    await pipeline.close();
    throw err;
  }
  const fileWatcher: FileWatcher | null = config.snapshotFile
    ? watchSnapshotFile(snapshots, config.snapshotFile, logger)
    : null;

  let push: PushClient | null = null;
  if (config.controlPlaneUrl) {
    push = startPushClient({ url: config.controlPlaneUrl, replicaId: config.replicaId, store: snapshots, logger });
    if (opts.waitForSnapshot) await push.firstSnapshot();
  }

  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
  logger.info({ url, snapshot: snapshots.current()?.version ?? null }, 'data plane listening');

  let closing: Promise<void> | null = null;
  return {
    port: server.port,
    url,
    snapshots,
    snapshot: () => snapshots.current(),
    close() {
      closing ??= (async () => {
        server.stopAccepting();
        fileWatcher?.close();
        await push?.close();
        const drained = await inFlight.drain(opts.drainTimeoutMs ?? 10_000);
        if (!drained) {
          logger.warn({ inFlight: inFlight.size }, 'shutdown: cutting requests still in flight');
          inFlight.abortAll();
          await inFlight.drain(2_000);
        }
        await pipeline.close();
        server.closeAll();
        inFlight.untrack();
        logger.info('data plane closed');
        await new Promise<void>((resolve) => logger.flush(() => resolve()));
      })();
      return closing;
    },
  };
}
