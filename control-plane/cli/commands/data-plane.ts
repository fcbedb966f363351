/** `sluice data-plane`: run one data-plane replica (flags override SLUICE_* environment). */
import { type DataPlaneConfig, dataPlaneConfigFromEnv } from '../../../data-plane/config.js';
import { parseFlags } from '../args.js';
import { type CliCommand, UsageError } from '../command.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function dataPlaneConfigFromFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): DataPlaneConfig {
  const { values } = parseFlags(
    argv,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      'control-plane': { type: 'string' },
      snapshot: { type: 'string' },
      'data-dir': { type: 'string' },
      redis: { type: 'string' },
      clickhouse: { type: 'string' },
      qdrant: { type: 'string' },
      'replica-id': { type: 'string' },
      'log-level': { type: 'string' },
    },
    0,
  );
  const config = dataPlaneConfigFromEnv(env);
  if (values.port !== undefined) config.port = parsePort(values.port, '--port');
  else if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new UsageError(`SLUICE_PORT must be a port number (got '${env.SLUICE_PORT}')`);
  }
  if (values.host) config.host = values.host;
  if (values['control-plane']) {
    if (!/^wss?:\/\//.test(values['control-plane'])) {
      throw new UsageError(`--control-plane must be a ws:// URL such as ws://127.0.0.1:7070/v1/snapshots`);
    }
    config.controlPlaneUrl = values['control-plane'];
  }
  if (values.snapshot) config.snapshotFile = values.snapshot;
  if (values['data-dir']) config.dataDir = values['data-dir'];
  if (values.redis) config.redisUrl = values.redis;
  if (values.clickhouse) config.clickhouseUrl = values.clickhouse;
  if (values.qdrant) config.qdrantUrl = values.qdrant;
  if (values['replica-id']) config.replicaId = values['replica-id'];
  if (values['log-level']) {
    if (!(LOG_LEVELS as readonly string[]).includes(values['log-level'])) {
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    }
    config.logLevel = values['log-level'] as DataPlaneConfig['logLevel'];
  }
  if (!config.controlPlaneUrl && !config.snapshotFile) {
    throw new UsageError(
      'give --control-plane <ws url> or --snapshot <file> (or SLUICE_CONTROL_PLANE_URL / SLUICE_SNAPSHOT_FILE)',
    );
  }
  return config;
}

export function parsePort(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number (got '${text}')`);
  return n;
}

export const command: CliCommand = {
  name: 'data-plane',
  summary: 'Run a data-plane replica (the OpenAI-compatible gateway)',
  help: `Usage: sluice data-plane [--control-plane WS_URL | --snapshot FILE] [options]

Serves /v1/chat/completions, /v1/embeddings, /v1/models, /v1/messages, /healthz, /readyz and
/metrics. Configuration comes from the control plane's push channel (hot-swapped, ACKed) or from
a compiled snapshot file (sluice compile -o FILE).

Options (environment fallback in brackets):
  --port N               Listen port [SLUICE_PORT, 8080]
  --host HOST            Listen address [SLUICE_HOST, 127.0.0.1]
  --control-plane URL    ws://host:port/v1/snapshots [SLUICE_CONTROL_PLANE_URL]
  --snapshot FILE        Compiled snapshot file [SLUICE_SNAPSHOT_FILE]
  --data-dir DIR         SQLite ledger, spool, caches [SLUICE_DATA_DIR, .sluice]
  --redis URL            Shared limits/budgets/cache [SLUICE_REDIS_URL]
  --clickhouse URL       Usage analytics sink [SLUICE_CLICKHOUSE_URL]
  --qdrant URL           Semantic cache index [SLUICE_QDRANT_URL]
  --replica-id ID        Name in ACKs, leases, logs [SLUICE_REPLICA_ID, dp-<pid>]
  --log-level LEVEL      fatal|error|warn|info|debug|trace|silent [SLUICE_LOG_LEVEL, info]

SIGINT/SIGTERM close gracefully: stop accepting, finish requests in flight, flush.`,
  async run(argv) {
    const config = dataPlaneConfigFromFlags(argv);
    const { startDataPlane } = await import('../../../data-plane/main.js');
    const dp = await startDataPlane(config);
    console.error(
      `sluice data plane on ${dp.url} (snapshot: ${dp.snapshot()?.version ?? 'waiting for the control plane'})`,
    );
    return onShutdownSignal(async () => {
      await dp.close();
    });
  },
};

/**
 * Waits for SIGINT/SIGTERM, runs `close` once, and resolves with the exit code. A second signal
 * while closing exits at once (the operator insists).
 */
export function onShutdownSignal(close: () => Promise<void>): Promise<number> {
  return new Promise<number>((resolve) => {
    let closing = false;
    const handler = (signal: NodeJS.Signals) => {
      if (closing) {
        console.error(`${signal} again: exiting now`);
        process.exit(130);
      }
      closing = true;
      console.error(`${signal}: shutting down gracefully…`);
      close().then(
        () => resolve(0),
        (err: unknown) => {
          console.error('shutdown failed:', err);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
