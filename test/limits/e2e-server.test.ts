/**
 * Limits through the real uWebSockets.js server and router, against fake providers speaking the
 * real wire formats: every endpoint charged (chat JSON and SSE, embeddings, /v1/messages, queued),
 * streams accounted when completed / aborted / failed, a budget tripping on streamed traffic,
 * the admin report and the CLI, and a restart in memory mode (same data dir, ledger restore).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../common/snapshot.js';
import type { DataPlaneConfig } from '../../data-plane/config.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/services.js';
import { makeSnapshot, node, provider, route, TEST_ADMIN_TOKEN, TEST_KEY } from '../helpers/snapshot.js';
import { accountingReady, serverReady } from './e2e-readiness.js';

type FakeServer = import('../fakes/index.js').FakeServer;
type Handle = import('../../data-plane/main.js').DataPlaneHandle;

const BUDGET = 20_000; // $0.02 for team:search
const costMicros = (prompt: number, out: number) => Math.ceil((prompt * 150_000 + out * 600_000) / 1e6);

function snapshotFor(fakeUrl: string, over: { budget?: number; queue?: boolean } = {}): Snapshot {
  return makeSnapshot({
    baseUrl: fakeUrl,
    nodes: [
      node('org:acme'),
      node('team:search', {
        parent: 'org:acme',
        budget: { amountMicros: over.budget ?? BUDGET, period: 'monthly', timezone: 'Europe/Berlin' },
      }),
      node('key:search-dev', { parent: 'team:search' }),
    ],
    providers: [provider('fake', fakeUrl)],
    routes: [
      route('gpt-test', over.queue ? { onExhausted: 'queue' } : {}),
      route('embed', {
        kind: 'embeddings',
        targets: [{ provider: 'fake', model: 'text-embedding-3-small', weight: 1, contextWindow: null }],
      }),
    ],
    pricing: {
      'fake/gpt-4o-mini': [
        { effectiveFrom: 0, inputPico: 150_000, outputPico: 600_000, cachedInputPico: 75_000, cacheWritePico: 0 },
      ],
      'fake/text-embedding-3-small': [
        { effectiveFrom: 0, inputPico: 20_000, outputPico: 0, cachedInputPico: 0, cacheWritePico: 0 },
      ],
    },
  });
}

async function start(snapshot: Snapshot, config: Partial<DataPlaneConfig>): Promise<Handle> {
  const { startDataPlane } = await import('../../data-plane/main.js');
  return startDataPlane(
    {
      host: '127.0.0.1',
      port: 0,
      controlPlaneUrl: null,
      snapshotFile: null,
      dataDir: config.dataDir!,
      redisUrl: null,
      clickhouseUrl: null,
      qdrantUrl: null,
      replicaId: `limits-e2e-${Math.random().toString(36).slice(2, 8)}`,
      logLevel: 'silent',
      ...config,
    },
    { snapshot, logger: pino({ level: 'silent' }) },
  );
}

interface Row {
  id: string;
  spentMicros: number;
  reservedMicros: number;
  inFlight: number;
}
async function budgets(dp: Handle): Promise<Record<string, Row>> {
  const res = await fetch(`${dp.url}/admin/budgets`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { nodes: Row[] };
  return Object.fromEntries(body.nodes.map((n) => [n.id, n]));
}
const teamSpent = async (dp: Handle) => (await budgets(dp))['team:search']!.spentMicros;

/** Waits until no reservation is in flight (streams settle in a finally after the last byte). */
async function settled(dp: Handle): Promise<Record<string, Row>> {
  for (let i = 0; i < 100; i++) {
    const b = await budgets(dp);
    if (b['team:search']!.inFlight === 0) return b;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('reservations still in flight');
}

describe.skipIf(!serverReady)('limits end-to-end through the real server', () => {
  const backends: Array<[string, Partial<DataPlaneConfig>]> = [
    ['memory', {}],
    ['redis', { redisUrl: TEST_REDIS_URL }],
  ];

  describe.each(backends)('%s backend', (name, extra) => {
    let fake: FakeServer;
    let dp: Handle;
    let dataDir: string;
    let client: OpenAI;
    let spent = 0;

    beforeAll(async () => {
      const { startFakeOpenAI } = await import('../fakes/index.js');
      fake = await startFakeOpenAI();
      dataDir = await mkdtemp(join(tmpdir(), 'sluice-limits-e2e-'));
      if (extra.redisUrl) process.env.SLUICE_REDIS_KEY_PREFIX = uniquePrefix(`e2e-${name}`);
      dp = await start(snapshotFor(fake.url), { dataDir, ...extra });
      delete process.env.SLUICE_REDIS_KEY_PREFIX;
      client = new OpenAI({ apiKey: TEST_KEY, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    });
    afterAll(async () => {
      await dp?.close();
      await fake?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('chat JSON: charges the provider-reported usage at the dated price', async () => {
      fake.setBehavior({ usage: { prompt: 1000, completion: 200 } });
      const res = await client.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.usage?.prompt_tokens).toBe(1000);
      spent += costMicros(1000, 200);
      const b = await settled(dp);
      expect(b['team:search']).toMatchObject({ spentMicros: spent, reservedMicros: 0 });
      expect(b['key:search-dev']!.spentMicros).toBe(spent);
      expect(b['org:acme']!.spentMicros).toBe(spent);
    });

    it('chat stream completed: charges the streamed usage', async () => {
      fake.setBehavior({ chunks: ['a', 'b', 'c', 'd'], usage: { prompt: 300, completion: 4 } });
      const stream = await client.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      let n = 0;
      for await (const c of stream) n += c.choices[0]?.delta?.content ? 1 : 0;
      expect(n).toBe(4);
      spent += costMicros(300, 4);
      expect((await settled(dp))['team:search']!.spentMicros).toBe(spent);
    });

    it('chat stream aborted by the client: charges what was received, releases the reservation', async () => {
      fake.setBehavior({
        chunks: Array.from({ length: 40 }, (_, i) => `w${i} `),
        chunkDelayMs: 15,
        usage: { prompt: 500 },
      });
      const ac = new AbortController();
      const res = await fetch(`${dp.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'long' }], stream: true }),
        signal: ac.signal,
      });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('w3 ')) text += new TextDecoder().decode((await reader.read()).value);
      ac.abort();
      const b = await settled(dp);
      const charged = b['team:search']!.spentMicros - spent;
      // Received part of the answer: more than nothing, less than the full 40-chunk answer.
      expect(charged).toBeGreaterThan(0);
      expect(charged).toBeLessThan(costMicros(500, 40));
      expect(b['team:search']!.reservedMicros).toBe(0);
      spent += charged;
    });

    it('chat stream failed before any output: refunded', async () => {
      fake.setBehavior({ status: 500 });
      const err = await client.chat.completions
        .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], stream: true })
        .then(async (s) => {
          for await (const _ of s) {
            // drain
          }
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      const b = await settled(dp);
      expect(b['team:search']).toMatchObject({ spentMicros: spent, reservedMicros: 0 });
    });

    it('chat stream failed mid-way: charges what was received, never a silent 200', async () => {
      fake.setBehavior({ chunks: ['a ', 'b ', 'c ', 'd ', 'e '], resetAfterChunks: 2, usage: { prompt: 100 } });
      const err = await client.chat.completions
        .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], stream: true })
        .then(async (s) => {
          for await (const _ of s) {
            // drain
          }
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      const b = await settled(dp);
      expect(b['team:search']!.reservedMicros).toBe(0);
      expect(b['team:search']!.spentMicros).toBeGreaterThanOrEqual(spent);
      spent = b['team:search']!.spentMicros;
    });

    it('embeddings are charged', async () => {
      fake.setBehavior({ usage: { prompt: 5000 } });
      await client.embeddings.create({ model: 'embed', input: ['alpha', 'beta'] });
      spent += Math.ceil((5000 * 20_000) / 1e6);
      expect((await settled(dp))['team:search']!.spentMicros).toBe(spent);
    });

    it('/v1/messages (Anthropic format) is charged', async () => {
      fake.setBehavior({ usage: { prompt: 700, completion: 30 } });
      const res = await fetch(`${dp.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': TEST_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      spent += costMicros(700, 30);
      expect((await settled(dp))['team:search']!.spentMicros).toBe(spent);
    });

    it('a budget trips on streamed traffic: 429 budget_exceeded, spend within the budget', async () => {
      // Each stream: worst case ≈ (prompt + 1024 default output) × 1.1 at $0.6/M ≈ 700 µ$; actual 2000 + 500 tokens.
      fake.setBehavior({ chunks: ['x'], usage: { prompt: 2000, completion: 500 } });
      let refused: unknown = null;
      for (let i = 0; i < 200 && !refused; i++) {
        try {
          const s = await client.chat.completions.create({
            model: 'gpt-test',
            messages: [{ role: 'user', content: 'again' }],
            stream: true,
          });
          for await (const _ of s) {
            // drain
          }
        } catch (e) {
          refused = e;
        }
      }
      expect(refused).toMatchObject({ status: 429, code: 'budget_exceeded' });
      const headers = (refused as { headers: Record<string, string> }).headers;
      expect(Number(headers['retry-after'])).toBeGreaterThan(0);
      const b = await settled(dp);
      expect(b['team:search']!.spentMicros).toBeLessThanOrEqual(BUDGET);
      expect(b['team:search']!.spentMicros).toBeGreaterThan(BUDGET - 1500);
    });
  });

  describe('queued requests', () => {
    let fake: FakeServer;
    let dp: Handle;
    let dataDir: string;
    beforeAll(async () => {
      const { startFakeOpenAI } = await import('../fakes/index.js');
      fake = await startFakeOpenAI();
      dataDir = await mkdtemp(join(tmpdir(), 'sluice-limits-q-'));
      dp = await start(snapshotFor(fake.url, { queue: true }), { dataDir });
    });
    afterAll(async () => {
      await dp?.close();
      await fake?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('a request parked by the queue is charged when it finally runs', async () => {
      fake.setBehavior({ usage: { prompt: 400, completion: 40 } });
      fake.script({ status: 429, retryAfterMs: 200 });
      const res = await fetch(`${dp.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', prefer: 'wait=10' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'queued' }] }),
      });
      const body = (await res.json()) as { usage?: { prompt_tokens: number }; status?: string };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(res.headers.get('x-sluice-queued-ms')).not.toBeNull();
      expect((await settled(dp))['team:search']).toMatchObject({ spentMicros: costMicros(400, 40), reservedMicros: 0 });
    });
  });

  describe.skipIf(!accountingReady)('restart (memory mode, same data dir)', () => {
    it('period-to-date spend survives a restart: restored from the SQLite ledger', async () => {
      const { startFakeOpenAI } = await import('../fakes/index.js');
      const fake = await startFakeOpenAI();
      const dataDir = await mkdtemp(join(tmpdir(), 'sluice-limits-restart-'));
      try {
        fake.setBehavior({ usage: { prompt: 10_000, completion: 10_000 } }); // 7500 µ$ each
        const snapshot = snapshotFor(fake.url);
        const first = await start(snapshot, { dataDir });
        const c1 = new OpenAI({ apiKey: TEST_KEY, baseURL: `${first.url}/v1`, maxRetries: 0 });
        await c1.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'a' }] });
        await c1.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'b' }] });
        expect(await teamSpent(first)).toBe(15_000);
        await first.close();

        const second = await start(snapshot, { dataDir });
        try {
          expect(await teamSpent(second)).toBe(15_000);
          const c2 = new OpenAI({ apiKey: TEST_KEY, baseURL: `${second.url}/v1`, maxRetries: 0 });
          // 15_000 spent of 20_000: a request whose worst case does not fit is refused.
          const err = await c2.chat.completions
            .create({ model: 'gpt-test', max_tokens: 8000, messages: [{ role: 'user', content: 'c' }] })
            .catch((e: unknown) => e);
          expect(err).toMatchObject({ status: 429, code: 'budget_exceeded' });
        } finally {
          await second.close();
        }
      } finally {
        await fake.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
});
