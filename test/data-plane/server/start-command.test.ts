/**
 * `sluice start` (what `npm start` runs: the CLI built by bin/build.mjs) as a real process on
 * examples/config: the data plane answers a demo-key request and the control plane serves the
 * dashboard and the usage API.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
let child: ChildProcess;
let dataDir: string;
let dpUrl: string;
let cpUrl: string;
// Inside the repository, so that the built modules resolve packages from node_modules.
const BUILD = join(ROOT, 'node_modules/.cache', `sluice-build-test-${process.pid}`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function until(ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('sluice start did not become ready in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-start-'));
  const [dpPort, cpPort] = [await freePort(), await freePort()];
  dpUrl = `http://127.0.0.1:${dpPort}`;
  cpUrl = `http://127.0.0.1:${cpPort}`;
  execFileSync(process.execPath, ['bin/build.mjs', '--out', BUILD], { cwd: ROOT, stdio: 'ignore' });
  child = spawn(
    process.execPath,
    [
      join(BUILD, 'control-plane/cli/main.js'),
      'start',
      '--config',
      'examples/config',
      '--port',
      String(dpPort),
      '--control-plane-port',
      String(cpPort),
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, stdio: 'ignore' },
  );
  await until(async () => (await fetch(`${dpUrl}/readyz`)).status === 200, 90_000);
}, 120_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await new Promise((r) => child?.once('exit', r) ?? r(null));
  await rm(dataDir, { recursive: true, force: true });
  await rm(BUILD, { recursive: true, force: true });
});

describe('sluice start', () => {
  it('serves a demo-key chat completion on embedded defaults', async () => {
    const res = await fetch(`${dpUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-sluice-demo-search', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat-default', messages: [{ role: 'user', content: 'Hello!' }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
  });

  it('serves the dashboard and the usage API on the control plane', async () => {
    const page = await fetch(`${cpUrl}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const denied = await fetch(`${cpUrl}/v1/usage`);
    expect(denied.status).toBe(401);
    // The usage event of the request above reaches the ledger within the recorder's flush interval.
    let rows: { requests: number }[] = [];
    await until(async () => {
      const res = await fetch(`${cpUrl}/v1/usage?group_by=team`, {
        headers: { authorization: 'Bearer sk-sluice-demo-admin' },
      });
      rows = ((await res.json()) as { rows: { requests: number }[] }).rows;
      return res.status === 200 && rows.reduce((n, r) => n + r.requests, 0) >= 1;
    }, 10_000);
    expect(rows.reduce((n, r) => n + r.requests, 0)).toBeGreaterThanOrEqual(1);
  });
});
