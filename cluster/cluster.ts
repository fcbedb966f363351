/**
 * The local scaled-out setup as a library (used by `npm run cluster` and test/cluster/): one
 * control plane watching a config folder, N data-plane processes connected to its push channel
 * and sharing one Redis, optionally a round-robin balancer in front. Every part is a real
 * `sluice` CLI process (or redis-server), started the way an operator would start it.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Balancer, startBalancer } from './balancer.js';
import { Child, ChildExitedError } from './child.js';
import { freePort, sleep } from './net-util.js';
import { type LocalRedis, startLocalRedis } from './redis.js';
import { type ControlPlaneStatus, fetchStatus, waitForAcks } from './status.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface ClusterOptions {
  /** Config folder the control plane compiles and watches. */
  configDir: string;
  /** Number of data-plane processes (≥ 1). */
  replicas: number;
  /** Replica i listens on basePort + i (0 = every replica on a free port). */
  basePort: number;
  /** 0 = a free port. */
  controlPlanePort: number;
  host: string;
  /** A running Redis; null = start redis-server on a free port for this cluster. */
  redisUrl: string | null;
  /** Key prefix in a shared Redis (limits use it as is, the exact cache under "<prefix>cache:"). */
  redisPrefix: string | null;
  /** Passed to every data plane (--clickhouse / --qdrant); null = their embedded defaults. */
  clickhouseUrl?: string | null;
  qdrantUrl?: string | null;
  /** Port of the round-robin balancer (0 = free port); null = no balancer. */
  balancerPort: number | null;
  /** Replica i keeps its SQLite ledger and spool in <dataDir>/dp-<i>. */
  dataDir: string;
  /** Data-plane log level. */
  logLevel: string;
  /** Print every child's output, prefixed with its name. */
  echo: boolean;
  /** How long each process may take to start and the replicas to acknowledge (busy machines are slow). */
  readyTimeoutMs: number;
  /** Extra environment for the data planes. */
  env?: NodeJS.ProcessEnv;
  /** Called when a child exits without being asked to (crash, external kill). */
  onUnexpectedExit?: (name: string, code: number | string) => void;
  /** Called while a restarted control plane waits for its old port to be released. */
  onPortBusy?: (port: number) => void;
}

export interface ReplicaHandle {
  id: string;
  index: number;
  url: string;
  port: number;
  dataDir: string;
  child: Child;
}

export interface ClusterHandle {
  controlPlane: { url: string; wsUrl: string; port: number; child: Child };
  replicas: ReplicaHandle[];
  redisUrl: string;
  balancer: Balancer | null;
  status(): Promise<ControlPlaneStatus>;
  /** Waits until every running replica acknowledged the current version (or `version`). */
  waitForAcks(opts?: { version?: string; timeoutMs?: number }): Promise<ControlPlaneStatus>;
  /** Kills replica `index` (SIGKILL by default: a crash, no graceful close). */
  killReplica(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts replica `index` again on its port. */
  restartReplica(index: number): Promise<ReplicaHandle>;
  stopControlPlane(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the control plane again on the same port. */
  startControlPlane(): Promise<void>;
  close(): Promise<void>;
}

const GUARD = pathToFileURL(join(ROOT, 'cluster/orphan-guard.ts')).href;
const CLI = join(ROOT, 'control-plane/cli/main.ts');
const nodeCli = (args: string[]) => ['--import', 'tsx', '--import', GUARD, CLI, ...args];

export async function startCluster(opts: ClusterOptions): Promise<ClusterHandle> {
  if (!Number.isInteger(opts.replicas) || opts.replicas < 1) throw new Error('replicas must be a positive integer');
  const configDir = resolve(opts.configDir);
  const dataDir = resolve(opts.dataDir);
  const expected = new Set<Child>();
  const all = new Set<Child>();
  let closed = false;

  const supervise = (child: Child): Child => {
    all.add(child);
    void child.exited.then((code) => {
      if (!expected.has(child) && !closed) opts.onUnexpectedExit?.(child.spec.name, code);
    });
    return child;
  };
  const stopChild = async (child: Child, signal: NodeJS.Signals, graceMs = 15_000) => {
    expected.add(child);
    await child.stop(signal, graceMs);
  };
  // Last resort if the launcher exits without close(): never leave servers behind.
  const onExit = () => {
    for (const c of all) c.killNow();
  };
  process.on('exit', onExit);

  let redis: LocalRedis | null = null;
  let cp: ClusterHandle['controlPlane'] | null = null;
  const replicas: ReplicaHandle[] = [];
  let balancer: Balancer | null = null;

  const close = async () => {
    if (closed) return;
    closed = true;
    await balancer?.close();
    await Promise.all(replicas.map((r) => stopChild(r.child, 'SIGTERM')));
    if (cp) await stopChild(cp.child, 'SIGTERM');
    if (redis) {
      expected.add(redis.child);
      await redis.stop();
    }
    process.off('exit', onExit);
  };

  try {
    if (opts.redisUrl === null) {
      redis = await startLocalRedis({ root: ROOT, echo: opts.echo, timeoutMs: opts.readyTimeoutMs });
      supervise(redis.child);
    }
    const redisUrl = opts.redisUrl ?? redis!.url;

    const launchControlPlane = async (port: number) => {
      const child = supervise(
        new Child({
          name: 'cp',
          command: process.execPath,
          args: nodeCli(['control-plane', '--config', configDir, '--port', String(port), '--host', opts.host]),
          cwd: ROOT,
          env: process.env,
          echo: opts.echo,
        }),
      );
      let m: RegExpExecArray;
      try {
        m = await child.waitForLine(
          /control plane on (http:\/\/\S+) \(push channel (ws:\/\/\S+)\), version (\S+)/,
          opts.readyTimeoutMs,
        );
      } catch (err) {
        await stopChild(child, 'SIGKILL');
        throw err;
      }
      if (m[3] === 'none') {
        await stopChild(child, 'SIGTERM');
        throw new Error(
          `the config in ${configDir} did not compile; fix it (npm run sluice -- validate ${opts.configDir}):\n${child.tail(40)}`,
        );
      }
      return { url: m[1]!, wsUrl: m[2]!, port: Number(new URL(m[1]!).port), child };
    };
    // A port the kernel picked (listen on 0) cannot be listened on again while the old process's
    // connections sit in TIME_WAIT (~60 s); an explicitly bound one can, so probe a free port.
    cp = await launchControlPlane(opts.controlPlanePort || (await freePort(opts.host)));

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // One offline-embedder vector file for all replicas (built once, written atomically).
      SLUICE_EMBEDDINGS_DIR: process.env.SLUICE_EMBEDDINGS_DIR ?? join(dataDir, 'embeddings'),
      ...(opts.redisPrefix
        ? { SLUICE_REDIS_KEY_PREFIX: opts.redisPrefix, SLUICE_CACHE_REDIS_PREFIX: `${opts.redisPrefix}cache:` }
        : {}),
      ...opts.env,
    };
    const launchReplica = async (index: number, port: number): Promise<ReplicaHandle> => {
      const id = `dp-${index + 1}`;
      const dir = join(dataDir, id);
      await mkdir(dir, { recursive: true });
      const child = supervise(
        new Child({
          name: id,
          command: process.execPath,
          args: nodeCli([
            'data-plane',
            '--control-plane',
            cp!.wsUrl,
            '--redis',
            redisUrl,
            '--port',
            String(port),
            '--host',
            opts.host,
            '--data-dir',
            dir,
            '--replica-id',
            id,
            '--log-level',
            opts.logLevel,
            ...(opts.clickhouseUrl ? ['--clickhouse', opts.clickhouseUrl] : []),
            ...(opts.qdrantUrl ? ['--qdrant', opts.qdrantUrl] : []),
          ]),
          cwd: ROOT,
          env,
          echo: opts.echo,
        }),
      );
      let m: RegExpExecArray;
      try {
        m = await child.waitForLine(/sluice data plane on (http:\/\/\S+)/, opts.readyTimeoutMs);
      } catch (err) {
        await stopChild(child, 'SIGKILL');
        throw err;
      }
      return { id, index, url: m[1]!, port: Number(new URL(m[1]!).port), dataDir: dir, child };
    };
    const started = await Promise.allSettled(
      Array.from({ length: opts.replicas }, async (_, i) =>
        launchReplica(i, opts.basePort > 0 ? opts.basePort + i : await freePort(opts.host)),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') replicas.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    const running = () => replicas.filter((r) => r.child.running);
    const waitAll = (o: { version?: string; timeoutMs?: number } = {}) =>
      waitForAcks(
        cp!.url,
        running().map((r) => r.id),
        { version: o.version, timeoutMs: o.timeoutMs ?? opts.readyTimeoutMs },
      );
    await waitAll();

    if (opts.balancerPort !== null) {
      balancer = await startBalancer({
        host: opts.host,
        port: opts.balancerPort,
        backends: () => running().map((r) => ({ host: opts.host, port: r.port })),
      });
    }

    return {
      get controlPlane() {
        return cp!;
      },
      replicas,
      redisUrl,
      balancer,
      status: () => fetchStatus(cp!.url),
      waitForAcks: waitAll,
      async killReplica(index, signal = 'SIGKILL') {
        await stopChild(replicas[index]!.child, signal);
      },
      async restartReplica(index) {
        const old = replicas[index]!;
        if (old.child.running) await stopChild(old.child, 'SIGTERM');
        const fresh = await launchReplica(index, old.port);
        replicas[index] = fresh;
        return fresh;
      },
      async stopControlPlane(signal = 'SIGTERM') {
        await stopChild(cp!.child, signal);
      },
      async startControlPlane() {
        if (cp!.child.running) throw new Error('the control plane is already running');
        // Safety net: if the old port cannot be bound yet (TIME_WAIT, another process), retry for a while.
        const deadline = Date.now() + Math.max(opts.readyTimeoutMs, 75_000);
        for (;;) {
          try {
            cp = await launchControlPlane(cp!.port);
            return;
          } catch (err) {
            const busy = err instanceof ChildExitedError && /cannot listen/.test(err.message);
            if (!busy || Date.now() > deadline) throw err;
            opts.onPortBusy?.(cp!.port);
            await sleep(1_000);
          }
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
