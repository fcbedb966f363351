/**
 * The exact cache in Redis is shared by replicas: two data planes — this process and a child
 * process — with the same Redis; an answer cached through one is a hit on the other.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeServer } from '../fakes/types.js';
import { startTestDataPlane, type TestDataPlane } from '../helpers/data-plane.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/services.js';
import { TEST_ADMIN_TOKEN } from '../helpers/snapshot.js';
import { cachePolicy, cacheSnapshot, KEY_A, SHARED_EMBEDDINGS_DIR } from './helpers.js';

const prefix = `${uniquePrefix('cache')}c:`;
process.env.SLUICE_CACHE_REDIS_PREFIX = prefix;
process.env.SLUICE_EMBEDDINGS_DIR = SHARED_EMBEDDINGS_DIR;

function startReplica(snapshotPath: string, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'replica-process.ts'), snapshotPath, TEST_REDIS_URL, prefix, dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SLUICE_EMBEDDINGS_DIR: SHARED_EMBEDDINGS_DIR } },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('replica did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`replica exited early (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^LISTENING (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child });
      }
    });
  });
}

describe('Redis-backed exact cache shared by two data-plane processes', () => {
  let fake: FakeServer;
  let local: TestDataPlane;
  let remote: { url: string; child: ChildProcess };
  let dir: string;
  const redis = new Redis(TEST_REDIS_URL);

  beforeAll(async () => {
    fake = await startFakeOpenAI({ text: 'Shared answer.', usage: { prompt: 9, completion: 2 } });
    // Exact tier only: the semantic index is per replica unless Qdrant is configured.
    const policy = cachePolicy({ semantic: { ...cachePolicy().semantic, enabled: false } });
    const snapshot = cacheSnapshot(policy, fake.url);
    dir = await mkdtemp(join(tmpdir(), 'sluice-cache-redis-'));
    const snapshotPath = join(dir, 'snapshot.json');
    await writeFile(snapshotPath, JSON.stringify(snapshot));
    [local, remote] = await Promise.all([
      startTestDataPlane({ snapshot, config: { redisUrl: TEST_REDIS_URL } }),
      startReplica(snapshotPath, dir),
    ]);
  }, 120_000);

  afterAll(async () => {
    remote?.child.kill('SIGTERM');
    await local?.close();
    await fake?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const ask = (base: string, content: string, stream = false) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content }], stream }),
    });

  it('an answer cached through one replica is an exact hit on the other', async () => {
    const before = fake.requests.length;
    const first = await ask(local.url, 'What is the boiling point of water?');
    expect(first.headers.get('x-sluice-cache')).toBe('miss');
    const firstBody = (await first.json()) as { choices: Array<{ message: { content: string } }> };
    await new Promise((r) => setTimeout(r, 50));
    expect(await redis.keys(`${prefix}e:*`)).toHaveLength(1);

    const second = await ask(remote.url, 'What is the boiling point of water?');
    expect(second.headers.get('x-sluice-cache')).toBe('hit-exact');
    const body = (await second.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]!.message.content).toBe(firstBody.choices[0]!.message.content);
    expect(fake.requests.length).toBe(before + 1);

    // Streamed on the remote replica from the entry the local one wrote.
    const streamed = await ask(remote.url, 'What is the boiling point of water?', true);
    expect(streamed.headers.get('x-sluice-cache')).toBe('hit-exact');
    const sse = await streamed.text();
    expect(sse).toContain('"content":"Shared answer."');
    expect(sse.trim().endsWith('data: [DONE]')).toBe(true);
  });

  it('entries carry a PX TTL from the policy', async () => {
    const [key] = await redis.keys(`${prefix}e:*`);
    const ttl = await redis.pttl(key!);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('a purge through one replica empties the shared cache for both', async () => {
    const res = await fetch(`${remote.url}/admin/cache/purge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'team:alpha' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { purged: { exact: number } }).purged.exact).toBe(1);
    expect((await ask(local.url, 'What is the boiling point of water?')).headers.get('x-sluice-cache')).toBe('miss');
  });

  it('feedback by request id works across replicas', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const hit = await ask(remote.url, 'What is the boiling point of water?');
    expect(hit.headers.get('x-sluice-cache')).toBe('hit-exact');
    const requestId = hit.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    await new Promise((r) => setTimeout(r, 50));
    const res = await fetch(`${local.url}/admin/cache/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: requestId }),
    });
    expect(res.status).toBe(200);
    expect((await ask(remote.url, 'What is the boiling point of water?')).headers.get('x-sluice-cache')).toBe('miss');
  });
});
