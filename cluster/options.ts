/** Flags of `npm run cluster` → ClusterOptions. */
import { parseArgs } from 'node:util';
import type { ClusterOptions } from './cluster.js';

export const HELP = `Usage: npm run cluster -- [options]

Starts Sluice scaled out on this machine: one control plane watching the config folder, N
data-plane processes connected to it and sharing one Redis (its own redis-server on a free
port unless --redis is given), optionally a round-robin load balancer in front. Prints the URLs,
waits until every replica acknowledged the current snapshot, and stops everything on Ctrl-C.

Options:
  --config DIR               Config folder (default examples/config)
  --replicas N               Data-plane processes (default 2)
  --base-port P              Replica i listens on P+i (default 8081; 0 = free ports)
  --control-plane-port P     Control plane port (default 7070; 0 = a free port)
  --host H                   Listen address of every process (default 127.0.0.1)
  --redis URL                Use this Redis instead of starting redis-server
  --redis-prefix P           Key prefix in that Redis (default: sluice's own, "sluice:")
  --clickhouse URL           Usage analytics sink for every replica (default: SQLite per replica)
  --qdrant URL               Shared semantic-cache index (default: one in-process index per replica)
  --balancer                 Start a round-robin TCP balancer in front of the replicas
  --balancer-port P          Its port (default 8080; implies --balancer)
  --data-dir DIR             Per-replica state (ledger, spool) under DIR/dp-N (default .sluice/cluster)
  --log-level L              Data-plane log level (default warn)
  --quiet                    Do not print the processes' output
  --ready-timeout SECONDS    Start-up and acknowledgement timeout (default 120)
  -h, --help                 This text`;

export class ClusterUsageError extends Error {
  override name = 'ClusterUsageError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function port(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ClusterUsageError(`${flag} must be a port number (got '${text}')`);
  return n;
}

function httpUrl(text: string | undefined, flag: string): string | null {
  if (text === undefined) return null;
  if (!/^https?:\/\//.test(text)) throw new ClusterUsageError(`${flag} must be an http(s) URL (got '${text}')`);
  return text;
}

/** Returns null when --help was asked for. */
export function parseClusterArgs(argv: string[]): ClusterOptions | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        replicas: { type: 'string' },
        'base-port': { type: 'string' },
        'control-plane-port': { type: 'string' },
        host: { type: 'string' },
        redis: { type: 'string' },
        'redis-prefix': { type: 'string' },
        clickhouse: { type: 'string' },
        qdrant: { type: 'string' },
        balancer: { type: 'boolean' },
        'balancer-port': { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        quiet: { type: 'boolean' },
        'ready-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new ClusterUsageError((err as Error).message);
  }
  if (values.help) return null;
  const str = (k: string) => values[k] as string | undefined;
  const replicas = Number(str('replicas') ?? 2);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 64) {
    throw new ClusterUsageError(`--replicas must be an integer from 1 to 64 (got '${str('replicas')}')`);
  }
  const redis = str('redis') ?? null;
  if (redis !== null && !/^rediss?:\/\//.test(redis)) {
    throw new ClusterUsageError(`--redis must be a redis:// URL (got '${redis}')`);
  }
  const logLevel = str('log-level') ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ClusterUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const timeout = Number(str('ready-timeout') ?? 120);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new ClusterUsageError('--ready-timeout must be a positive number of seconds');
  const basePort = port(str('base-port'), '--base-port', 8081);
  if (basePort > 0 && basePort + replicas - 1 > 65535)
    throw new ClusterUsageError('--base-port + --replicas exceeds 65535');
  const wantsBalancer = values.balancer === true || str('balancer-port') !== undefined;
  return {
    configDir: str('config') ?? 'examples/config',
    replicas,
    basePort,
    controlPlanePort: port(str('control-plane-port'), '--control-plane-port', 7070),
    host: str('host') ?? '127.0.0.1',
    redisUrl: redis,
    redisPrefix: str('redis-prefix') ?? null,
    clickhouseUrl: httpUrl(str('clickhouse'), '--clickhouse'),
    qdrantUrl: httpUrl(str('qdrant'), '--qdrant'),
    balancerPort: wantsBalancer ? port(str('balancer-port'), '--balancer-port', 8080) : null,
    dataDir: str('data-dir') ?? '.sluice/cluster',
    logLevel,
    echo: values.quiet !== true,
    readyTimeoutMs: Math.round(timeout * 1000),
  };
}
