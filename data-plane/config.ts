/**
 * Process-level settings of one data-plane replica (where it listens, which backends it uses).
 * These come from flags/environment, not from the config repo: the snapshot says *what* to
 * enforce, this says *where* state lives. Embedded defaults need nothing but a data folder.
 */
export interface DataPlaneConfig {
  host: string;
  /** 0 = pick a free port (tests). */
  port: number;
  /** ws://host:port/v1/snapshots of the control plane's push channel, or null. */
  controlPlaneUrl: string | null;
  /** A compiled snapshot file to load when there is no control plane. */
  snapshotFile: string | null;
  /** Folder for the SQLite ledger, the analytics spool and embedder caches. */
  dataDir: string;
  /** Shared limits/budgets and exact cache across replicas; null = in-process. */
  redisUrl: string | null;
  /** Usage analytics sink; null = SQLite only. */
  clickhouseUrl: string | null;
  /** Semantic cache vector index; null = in-process index. */
  qdrantUrl: string | null;
  /** Identifies this replica in ACKs, leases and logs. */
  replicaId: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export function dataPlaneConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DataPlaneConfig {
  return {
    host: env.SLUICE_HOST ?? '127.0.0.1',
    port: Number(env.SLUICE_PORT ?? 8080),
    controlPlaneUrl: env.SLUICE_CONTROL_PLANE_URL ?? null,
    snapshotFile: env.SLUICE_SNAPSHOT_FILE ?? null,
    dataDir: env.SLUICE_DATA_DIR ?? '.sluice',
    redisUrl: env.SLUICE_REDIS_URL ?? null,
    clickhouseUrl: env.SLUICE_CLICKHOUSE_URL ?? null,
    qdrantUrl: env.SLUICE_QDRANT_URL ?? null,
    replicaId: env.SLUICE_REPLICA_ID ?? `dp-${process.pid}`,
    logLevel: (env.SLUICE_LOG_LEVEL as DataPlaneConfig['logLevel']) ?? 'info',
  };
}
