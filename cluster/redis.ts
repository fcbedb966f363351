/**
 * The cluster's own Redis when no --redis URL is given: `redis-server` on a free port, with its
 * own temporary folder (no persistence: a fresh, isolated state per cluster run), supervised so
 * it dies with the launcher.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child } from './child.js';
import { freePort, sleep, tcpProbe } from './net-util.js';

export interface LocalRedis {
  url: string;
  port: number;
  child: Child;
  stop(): Promise<void>;
}

export class RedisNotInstalledError extends Error {
  override name = 'RedisNotInstalledError';
  constructor() {
    super(
      'redis-server is not installed (or not on PATH). Install it (Debian/Ubuntu: sudo apt-get install redis-server; ' +
        'macOS: brew install redis) or point the cluster at a running Redis with --redis redis://host:port',
    );
  }
}

export function redisInstalled(): boolean {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

export async function startLocalRedis(opts: { root: string; echo: boolean; timeoutMs?: number }): Promise<LocalRedis> {
  if (!redisInstalled()) throw new RedisNotInstalledError();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cluster-redis-'));
  const port = await freePort();
  const child = new Child({
    name: 'redis',
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      join(opts.root, 'cluster/supervise.ts'),
      '--rm',
      dir,
      'redis-server',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ],
    cwd: opts.root,
    env: process.env,
    echo: opts.echo,
    supervisor: true,
  });
  const stop = async () => {
    await child.stop('SIGTERM', 5_000);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (!(await tcpProbe('127.0.0.1', port, 'PING\r\n', '+PONG'))) {
    if (!child.running || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${child.tail()}`);
    }
    await sleep(100);
  }
  return { url: `redis://127.0.0.1:${port}`, port, child, stop };
}
