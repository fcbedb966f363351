import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../control-plane/cli/command.js';
import { dataPlaneConfigFromFlags } from '../../../control-plane/cli/commands/data-plane.js';
import { makeSnapshot, TEST_KEY } from '../../helpers/snapshot.js';

describe('sluice data-plane flags', () => {
  it('flags override the SLUICE_* environment', () => {
    const c = dataPlaneConfigFromFlags(['--port', '9999', '--redis', 'redis://r:6379', '--replica-id', 'dp-a'], {
      SLUICE_PORT: '1234',
      SLUICE_CONTROL_PLANE_URL: 'ws://cp:7070/v1/snapshots',
      SLUICE_CLICKHOUSE_URL: 'http://ch:8123',
    });
    expect(c).toMatchObject({
      port: 9999,
      redisUrl: 'redis://r:6379',
      replicaId: 'dp-a',
      controlPlaneUrl: 'ws://cp:7070/v1/snapshots',
      clickhouseUrl: 'http://ch:8123',
    });
  });

  it('refuses bad usage', () => {
    expect(() => dataPlaneConfigFromFlags(['--port', 'x', '--snapshot', 'f'], {})).toThrow(UsageError);
    expect(() => dataPlaneConfigFromFlags([], {})).toThrow(/--control-plane/);
    expect(() => dataPlaneConfigFromFlags(['--control-plane', 'http://x'], {})).toThrow(/ws:\/\//);
    expect(() => dataPlaneConfigFromFlags(['--bogus'], {})).toThrow(UsageError);
  });
});

describe('sluice data-plane process', () => {
  let child: ChildProcess | null = null;
  let dir = '';
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves a snapshot file with the full pipeline and exits 0 on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const file = join(dir, 'snapshot.json');
    await writeFile(file, JSON.stringify(makeSnapshot({ version: 'v-cli' })));
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'control-plane/cli/main.ts',
        'data-plane',
        '--snapshot',
        file,
        '--port',
        '0',
        '--data-dir',
        dir,
      ],
      { env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child!.stderr!.on('data', (d) => {
        stderr += d.toString();
        const m = /data plane on (http:\/\/[\d.]+:\d+)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child!.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      setTimeout(() => reject(new Error(`no start line: ${stderr}`)), 60_000);
    });
    const ready = await fetch(`${url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', snapshot: 'v-cli' });
    const denied = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-wrong' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(denied.status).toBe(401);
    const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
    expect(((await models.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toEqual(['gpt-test']);
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = null;
  }, 90_000);
});
