/**
 * `npm run cluster` as a user runs it (node --import tsx cluster/main.ts): the banner with the
 * URLs once every replica ACKed, one URL through the round-robin balancer, a clean shutdown on
 * SIGTERM, no orphans even when the launcher itself is SIGKILLed, and clear errors.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../cluster/cluster.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/services.js';
import { copyFixtureConfig, eventually, KEYS } from './helpers.js';

interface Launch {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

function launch(args: string[], env: NodeJS.ProcessEnv = process.env): Launch {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cluster/main.ts', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Launch = {
    child,
    stdout: [],
    stderr: [],
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  createInterface({ input: child.stdout! }).on('line', (l) => out.stdout.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => out.stderr.push(l));
  return out;
}

const banner = (l: Launch) =>
  eventually(
    async () => {
      if (l.child.exitCode !== null) throw new Error(`launcher exited ${l.child.exitCode}: ${l.stderr.join('\n')}`);
      return l.stdout.some((x) => x.startsWith('Sluice cluster is running')) ? l.stdout.join('\n') : undefined;
    },
    150_000,
    'the cluster banner',
  );

/** Every process below `pid` (children, grandchildren…). */
function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString();
  } catch {
    return []; // ps exits 1 when there are none
  }
  const kids = out
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

const commandOf = (pid: number): string => {
  try {
    return execFileSync('ps', ['-o', 'comm=', '-p', String(pid)])
      .toString()
      .trim();
  } catch {
    return '';
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** One request on a fresh connection (the balancer balances connections). */
function post(url: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'via the balancer' }] });
    const req = request(
      `${url}/v1/chat/completions`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', connection: 'close' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function requestsServed(replicaUrl: string): Promise<number> {
  const text = await (await fetch(`${replicaUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('sluice_requests_total{') && l.includes('endpoint="chat"'))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('npm run cluster', () => {
  let configDir: string;
  const tmp: string[] = [];
  const launched: Launch[] = [];
  const prefix = uniquePrefix('cluster-launcher');

  beforeAll(async () => {
    configDir = await copyFixtureConfig();
  });

  afterAll(async () => {
    for (const l of launched) {
      for (const pid of [l.child.pid!, ...descendants(l.child.pid!)]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    for (const d of [configDir, ...tmp]) await rm(d, { recursive: true, force: true });
  }, 60_000);

  it('prints the URLs once every replica ACKed, balances connections, and stops every process on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-cluster-launch-'));
    tmp.push(dataDir);
    const l = launch([
      ...['--config', configDir, '--replicas', '2', '--base-port', '0', '--control-plane-port', '0'],
      ...[
        '--balancer-port',
        '0',
        '--redis',
        TEST_REDIS_URL,
        '--redis-prefix',
        prefix,
        '--data-dir',
        dataDir,
        '--quiet',
      ],
    ]);
    launched.push(l);
    const text = await banner(l);
    const cpUrl = /control plane: +(http:\/\/\S+)/.exec(text)![1]!;
    const replicaUrls = [...text.matchAll(/data plane dp-\d +(http:\/\/\S+)/g)].map((m) => m[1]!);
    const balancerUrl = /balancer: +(http:\/\/\S+)/.exec(text)![1]!;
    expect(replicaUrls).toHaveLength(2);
    expect(text).toContain(`redis:           ${TEST_REDIS_URL}`);

    const status = (await (await fetch(`${cpUrl}/v1/status`)).json()) as {
      version: string;
      dataPlanes: Array<{ replicaId: string; connected: boolean; ackedVersion: string }>;
    };
    expect(status.dataPlanes.map((d) => [d.replicaId, d.connected, d.ackedVersion])).toEqual([
      ['dp-1', true, status.version],
      ['dp-2', true, status.version],
    ]);

    const before = await Promise.all(replicaUrls.map(requestsServed));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push(await post(balancerUrl, KEYS.open));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const after = await Promise.all(replicaUrls.map(requestsServed));
    expect(after.map((n, i) => n - before[i]!)).toEqual([3, 3]);

    const pids = descendants(l.child.pid!);
    expect(pids.length).toBeGreaterThanOrEqual(3); // control plane + 2 data planes (+ tsx's esbuild)
    l.child.kill('SIGTERM');
    expect(await l.exit).toBe(0);
    const names = pids.map((p) => `${p}:${commandOf(p)}`);
    // The launcher waited for its children; only tsx's esbuild helper may need a moment to notice.
    await eventually(async () => (pids.some(alive) ? undefined : true), 10_000, `children to exit: ${names}`);
    expect(l.stderr.join('\n')).toContain('stopping the replicas');
  }, 180_000);

  it('leaves no orphans when the launcher itself is SIGKILLed (own redis-server included)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-cluster-launch-'));
    tmp.push(dataDir);
    const l = launch([
      ...['--config', configDir, '--replicas', '1', '--base-port', '0', '--control-plane-port', '0'],
      ...['--data-dir', dataDir, '--quiet'],
    ]);
    launched.push(l);
    const text = await banner(l);
    expect(text).toMatch(/redis: +redis:\/\/127\.0\.0\.1:\d+ +\(own redis-server/);
    const pids = descendants(l.child.pid!);
    expect(pids.map(commandOf)).toContain('redis-server');
    l.child.kill('SIGKILL');
    await l.exit;
    // Each child notices its parent is gone (orphan guard) and shuts down; the supervisor stops redis.
    await eventually(
      async () => (pids.some(alive) ? undefined : true),
      30_000,
      `orphans to exit: ${pids.filter(alive)}`,
    );
  }, 180_000);

  it('explains a missing redis-server and bad flags', async () => {
    const noRedis = launch(['--config', configDir, '--quiet'], { ...process.env, PATH: '/nonexistent' });
    const badFlag = launch(['--replicas', '0']);
    launched.push(noRedis, badFlag);
    expect(await noRedis.exit).toBe(1);
    expect(noRedis.stderr.join('\n')).toMatch(/redis-server is not installed.*--redis redis:\/\/host:port/s);
    expect(await badFlag.exit).toBe(2);
    expect(badFlag.stderr.join('\n')).toContain('--replicas must be an integer from 1 to 64');
  }, 60_000);
});
