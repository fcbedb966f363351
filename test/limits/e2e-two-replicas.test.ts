/**
 * The must-show concurrency claim: two data-plane PROCESSES sharing one Redis enforce one team
 * budget and one TPM together. 200 concurrent streaming requests are spread over both; the spend
 * charged stays within budget + the documented bound, and the TPM admits what one process would
 * (not ×2). Children run the real CLI: `sluice data-plane --snapshot F --redis URL --port 0`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countChatTokens } from '../../common/tokens.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/services.js';
import { keyRecord, makeSnapshot, node, provider, TEST_ADMIN_TOKEN, TEST_KEY } from '../helpers/snapshot.js';
import { cliReady } from './e2e-readiness.js';

type FakeServer = import('../fakes/index.js').FakeServer;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUDGET = 5_000; // µ$ for team:search
const TPM_KEY = 'sk-sluice-tpm-key-0123456789abcdef';
const TEAM_TPM = 3_000;
const PROMPT = 10;
const MAX_TOKENS = 100;
const cost = (prompt: number, out: number) => Math.ceil((prompt * 150_000 + out * 600_000) / 1e6);

interface Replica {
  child: ChildProcess;
  url: string;
}

function startReplica(snapshotFile: string, dataDir: string, prefix: string): Promise<Replica> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'control-plane/cli/main.ts',
        'data-plane',
        '--snapshot',
        snapshotFile,
        '--redis',
        TEST_REDIS_URL,
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--log-level',
        'error',
      ],
      { cwd: ROOT, env: { ...process.env, SLUICE_REDIS_KEY_PREFIX: prefix }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    const timer = setTimeout(() => reject(new Error(`replica did not start: ${err}`)), 45_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /sluice data plane on (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.on('exit', (code) => reject(new Error(`replica exited ${code}: ${err}`)));
  });
}

function stop(r: Replica): Promise<void> {
  return new Promise((resolve) => {
    if (r.child.exitCode !== null) return resolve();
    r.child.once('exit', () => resolve());
    r.child.kill('SIGTERM');
    setTimeout(() => r.child.kill('SIGKILL'), 10_000).unref();
  });
}

/** One streamed request; returns the HTTP status, and the usage the client saw when it succeeded. */
async function streamOnce(
  url: string,
  secret: string,
): Promise<{ status: number; code?: string; prompt?: number; out?: number }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-test',
      max_tokens: MAX_TOKENS,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  const text = await res.text();
  if (res.status !== 200)
    return { status: res.status, code: (JSON.parse(text) as { error: { code: string } }).error.code };
  let prompt = 0;
  let out = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice(6)) as { usage?: { prompt_tokens: number; completion_tokens: number } };
    if (chunk.usage) {
      prompt = chunk.usage.prompt_tokens;
      out = chunk.usage.completion_tokens;
    }
  }
  expect(text).toContain('data: [DONE]');
  return { status: 200, prompt, out };
}

async function adminSpent(
  url: string,
  id: string,
): Promise<{ spentMicros: number; reservedMicros: number; inFlight: number }> {
  const res = await fetch(`${url}/admin/budgets?node=${id}`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  return ((await res.json()) as { nodes: Array<{ spentMicros: number; reservedMicros: number; inFlight: number }> })
    .nodes[0]!;
}

describe.skipIf(!cliReady)('two data-plane processes sharing one Redis', () => {
  let fake: FakeServer;
  let dir: string;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    const { startFakeOpenAI } = await import('../fakes/index.js');
    fake = await startFakeOpenAI();
    // Streams last ~100 ms so that the 200 requests overlap on both replicas.
    fake.setBehavior({
      chunks: ['a', 'b', 'c', 'd', 'e'],
      chunkDelayMs: 20,
      usage: { prompt: PROMPT, completion: MAX_TOKENS },
    });
    dir = await mkdtemp(join(tmpdir(), 'sluice-two-replicas-'));
    const snapshot = makeSnapshot({
      baseUrl: fake.url,
      nodes: [
        node('org:acme'),
        node('team:search', {
          parent: 'org:acme',
          budget: { amountMicros: BUDGET, period: 'daily', timezone: 'Asia/Tokyo' },
        }),
        node('key:search-dev', { parent: 'team:search' }),
        node('team:tpm', { parent: 'org:acme', limits: { rpm: null, tpm: TEAM_TPM, tpd: null, maxConcurrent: null } }),
        node('key:tpm-dev', { parent: 'team:tpm' }),
      ],
      keys: [keyRecord(TEST_KEY), keyRecord(TPM_KEY, { name: 'tpm-dev', team: 'tpm' })],
      providers: [provider('fake', fake.url)],
    });
    const file = join(dir, 'snapshot.json');
    await writeFile(file, JSON.stringify(snapshot));
    const prefix = uniquePrefix('two-replicas');
    const started = await Promise.all([
      startReplica(file, join(dir, 'a'), prefix),
      startReplica(file, join(dir, 'b'), prefix),
    ]);
    replicas.push(...started);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map(stop));
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('200 concurrent streams over both processes: charged spend ≤ budget + bound', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => streamOnce(replicas[i % 2]!.url, TEST_KEY)),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    const odd = results.filter((r) => r.status !== 200 && r.status !== 429);
    expect(odd, JSON.stringify(odd.slice(0, 3))).toEqual([]);
    expect(ok.length + refused.length).toBe(200);
    expect(refused.filter((r) => r.code !== 'budget_exceeded')).toEqual([]);
    // Which replica gets the budget is a race (one may take it all while the other's requests are
    // still parsing); what matters is one shared pool: both report the same state below.

    const a = await adminSpent(replicas[0]!.url, 'team:search');
    const b = await adminSpent(replicas[1]!.url, 'team:search');
    // One shared state, whichever replica answers.
    expect([a.spentMicros, a.reservedMicros, a.inFlight]).toEqual([b.spentMicros, b.reservedMicros, b.inFlight]);
    expect(a).toMatchObject({ reservedMicros: 0, inFlight: 0 });
    // Charged = what the clients were told they used, to the micro-dollar.
    const told = ok.reduce((sum, r) => sum + cost(r.prompt!, r.out!), 0);
    expect(a.spentMicros).toBe(told);
    // The documented bound: budget + Σ max(0, actual − reserved); the fake honours max_tokens
    // and our count covers its prompt, so every overrun term is 0 here.
    expect(a.spentMicros).toBeLessThanOrEqual(BUDGET);
    // Not refused early: at least as many admitted as worst-case reservations fit in the budget.
    const input = countChatTokens('gpt-4o-mini', [{ role: 'user', content: 'hi' }]);
    const worst = Math.ceil((Math.ceil(input * 1.1) * 150_000 + Math.ceil(MAX_TOKENS * 1.1) * 600_000) / 1e6);
    expect(ok.length).toBeGreaterThanOrEqual(Math.floor(BUDGET / worst));
  }, 60_000);

  it('TPM holds across both processes (not ×2)', async () => {
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => streamOnce(replicas[i % 2]!.url, TPM_KEY)));
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429);
    expect(refused.filter((r) => r.code !== 'rate_limit_exceeded')).toEqual([]);
    // Each admission reserves ceil((prompt + 100) × 1.1) ≥ 110 tokens and settles at prompt + 100 ≥ 100;
    // one shared window of 3000 tokens admits at most 3000 / 100 = 30, whatever the replica count.
    expect(ok).toBeLessThanOrEqual(TEAM_TPM / MAX_TOKENS);
    expect(ok).toBeGreaterThanOrEqual(Math.floor(TEAM_TPM / Math.ceil((PROMPT * 3 + MAX_TOKENS) * 1.1)));
  }, 60_000);
});
