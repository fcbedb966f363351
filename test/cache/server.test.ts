/**
 * The cache through the real data plane (uWebSockets.js server, real sockets) in front of a fake
 * OpenAI upstream, with the official `openai` client: exact hits, stream ↔ non-stream replay,
 * controls, what is not cached, admin endpoints and metrics.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeServer } from '../fakes/types.js';
import { startTestDataPlane, type TestDataPlane } from '../helpers/data-plane.js';
import { TEST_ADMIN_TOKEN } from '../helpers/snapshot.js';
import { cachePolicy, cacheSnapshot, KEY_A, KEY_B, SHARED_EMBEDDINGS_DIR } from './helpers.js';

process.env.SLUICE_EMBEDDINGS_DIR = SHARED_EMBEDDINGS_DIR;

describe('cache through the data plane', () => {
  let fake: FakeServer;
  let dp: TestDataPlane;
  let client: OpenAI;
  let prompt = 0;
  const fresh = () => `Question number ${++prompt}: what is a monad?`;

  beforeAll(async () => {
    fake = await startFakeOpenAI({
      text: 'A monad is a monoid in the category of endofunctors.',
      usage: { prompt: 20, completion: 11 },
    });
    dp = await startTestDataPlane({ snapshot: cacheSnapshot(cachePolicy({ threshold: 0.95 }), fake.url) });
    client = new OpenAI({ baseURL: `${dp.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
  }, 120_000);
  afterAll(async () => {
    await dp?.close();
    await fake?.close();
  });
  beforeEach(() =>
    fake.setBehavior({
      text: 'A monad is a monoid in the category of endofunctors.',
      usage: { prompt: 20, completion: 11 },
    }),
  );

  const admin = (path: string, body?: unknown) =>
    fetch(`${dp.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function chat(content: string, headers: Record<string, string> = {}, extra: object = {}) {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content }], ...extra }, { headers })
      .withResponse();
    return { data, headers: response.headers };
  }

  async function streamChat(content: string, includeUsage: boolean, headers: Record<string, string> = {}) {
    const { data: stream, response } = await client.chat.completions
      .create(
        {
          model: 'gpt-test',
          messages: [{ role: 'user', content }],
          stream: true,
          stream_options: { include_usage: includeUsage },
        },
        { headers },
      )
      .withResponse();
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    return { chunks, headers: response.headers };
  }

  const settle = () => new Promise((r) => setTimeout(r, 30));

  it('misses, then serves the exact hit without calling the upstream', async () => {
    const q = fresh();
    const before = fake.requests.length;
    const first = await chat(q);
    expect(first.headers.get('x-sluice-cache')).toBe('miss');
    await settle();
    const second = await chat(q);
    expect(second.headers.get('x-sluice-cache')).toBe('hit-exact');
    expect(second.headers.get('x-sluice-cache-entry')).toMatch(/^[0-9a-f]{12}-[0-9a-f]{12}-[0-9a-f]{64}$/);
    expect(fake.requests.length).toBe(before + 1);
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(second.data.usage).toEqual(first.data.usage);
    expect(second.data.id).not.toBe(first.data.id);
  });

  it('replays a non-streamed answer to a streaming request as well-formed SSE with a usage chunk', async () => {
    const q = fresh();
    const first = await chat(q);
    await settle();
    const s = await streamChat(q, true);
    expect(s.headers.get('x-sluice-cache')).toBe('hit-exact');
    expect(s.chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(s.chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      first.data.choices[0]!.message.content,
    );
    const finish = s.chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    const last = s.chunks[s.chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 11, total_tokens: 31 });
    // Without include_usage there is no usage chunk.
    const noUsage = await streamChat(q, false);
    expect(noUsage.chunks.every((c) => !c.usage)).toBe(true);
  });

  it('fills the cache from a streamed answer and serves it to a non-streaming request', async () => {
    const q = fresh();
    fake.setBehavior({ text: 'Streamed answer in several pieces.', usage: { prompt: 7, completion: 5 } });
    const s = await streamChat(q, false);
    expect(s.headers.get('x-sluice-cache')).toBe('miss');
    await settle();
    const before = fake.requests.length;
    const j = await chat(q);
    expect(j.headers.get('x-sluice-cache')).toBe('hit-exact');
    expect(fake.requests.length).toBe(before);
    expect(j.data.choices[0]!.message.content).toBe('Streamed answer in several pieces.');
    expect(j.data.choices[0]!.finish_reason).toBe('stop');
    expect(j.data.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5 });
  });

  it('replays tool calls as tool_call deltas', async () => {
    const q = fresh();
    fake.setBehavior({ text: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Oslo' } }] });
    const first = await chat(
      q,
      {},
      { tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }] },
    );
    expect(first.data.choices[0]!.finish_reason).toBe('tool_calls');
    await settle();
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: q }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
        stream: true,
      })
      .withResponse();
    expect(response.headers.get('x-sluice-cache')).toBe('hit-exact');
    const calls: Record<number, { id?: string; name: string; args: string }> = {};
    let finish: string | null = null;
    for await (const c of stream) {
      for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
        calls[tc.index] ??= { name: '', args: '' };
        const cur = calls[tc.index]!;
        if (tc.id) cur.id = tc.id;
        cur.name += tc.function?.name ?? '';
        cur.args += tc.function?.arguments ?? '';
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(calls[0]).toEqual({
      id: first.data.choices[0]!.message.tool_calls![0]!.id,
      name: 'get_weather',
      args: first.data.choices[0]!.message.tool_calls![0]!.function.arguments,
    });
  });

  it('honours no-store, no-cache and Cache-Control', async () => {
    const q = fresh();
    const a = await chat(q, { 'x-sluice-cache': 'no-store' });
    expect(a.headers.get('x-sluice-cache')).toBe('bypass');
    await settle();
    expect((await chat(q)).headers.get('x-sluice-cache')).toBe('miss'); // nothing was stored
    await settle();
    expect((await chat(q)).headers.get('x-sluice-cache')).toBe('hit-exact');
    fake.setBehavior({ text: 'A refreshed answer.' });
    const refreshed = await chat(q, { 'cache-control': 'no-cache' });
    expect(refreshed.headers.get('x-sluice-cache')).toBe('bypass');
    expect(refreshed.data.choices[0]!.message.content).toBe('A refreshed answer.');
    await settle();
    const after = await chat(q);
    expect(after.headers.get('x-sluice-cache')).toBe('hit-exact');
    expect(after.data.choices[0]!.message.content).toBe('A refreshed answer.');
    expect((await chat(q, { 'cache-control': 'no-store' })).headers.get('x-sluice-cache')).toBe('bypass');
  });

  it('keeps teams apart on the exact tier', async () => {
    const q = fresh();
    await chat(q);
    await settle();
    const b = new OpenAI({ baseURL: `${dp.url}/v1`, apiKey: KEY_B, maxRetries: 0 });
    const { response } = await b.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: q }] })
      .withResponse();
    expect(response.headers.get('x-sluice-cache')).toBe('miss');
  });

  it('does not cache failed, cut or length-less answers', async () => {
    const q = fresh();
    fake.script({ status: 400 });
    await expect(chat(q)).rejects.toThrow();
    await settle();
    expect((await chat(q)).headers.get('x-sluice-cache')).toBe('miss');

    const q2 = fresh();
    fake.setBehavior({ text: 'one two three four five six', resetAfterChunks: 2 });
    await expect(streamChat(q2, false)).rejects.toThrow();
    await settle();
    fake.setBehavior({ text: 'complete' });
    const again = await chat(q2);
    expect(again.headers.get('x-sluice-cache')).toBe('miss');
    expect(again.data.choices[0]!.message.content).toBe('complete');
  });

  it('caches embeddings on the exact tier', async () => {
    const input = `embed me ${fresh()}`;
    const before = fake.requests.length;
    const one = await client.embeddings.create({ model: 'embed-test', input }).withResponse();
    await settle();
    const two = await client.embeddings.create({ model: 'embed-test', input }).withResponse();
    expect(fake.requests.length).toBe(before + 1);
    const three = await client.embeddings.create({ model: 'embed-test', input, dimensions: 8 }).withResponse();
    expect(three.response.headers.get('x-sluice-cache')).toBe('miss');
    expect(one.response.headers.get('x-sluice-cache')).toBe('miss');
    expect(two.response.headers.get('x-sluice-cache')).toBe('hit-exact');
    expect(two.data.data[0]!.embedding).toEqual(one.data.data[0]!.embedding);
  });

  it('purges by namespace and route, reports stats, and exports metrics', async () => {
    const q = fresh();
    await chat(q);
    await settle();
    expect((await chat(q)).headers.get('x-sluice-cache')).toBe('hit-exact');

    const badPurge = await admin('/admin/cache/purge', {});
    expect(badPurge.status).toBe(400);
    const unauth = await fetch(`${dp.url}/admin/cache/stats`);
    expect(unauth.status).toBe(401);

    const other = await admin('/admin/cache/purge', { namespace: 'team:beta' });
    expect(other.status).toBe(200);
    expect((await chat(q)).headers.get('x-sluice-cache')).toBe('hit-exact');

    const purge = await admin('/admin/cache/purge', { namespace: 'team:alpha', route: 'gpt-test' });
    expect(purge.status).toBe(200);
    const purged = (await purge.json()) as { purged: { exact: number } };
    expect(purged.purged.exact).toBeGreaterThan(0);
    expect((await chat(q)).headers.get('x-sluice-cache')).toBe('miss');

    const stats = (await (await admin('/admin/cache/stats')).json()) as {
      exact: { backend: string; entries: number };
      hits: { exact: number };
      hitRate: { exact: number };
    };
    expect(stats.exact.backend).toBe('memory');
    expect(stats.hits.exact).toBeGreaterThan(0);
    expect(stats.hitRate.exact).toBeGreaterThan(0);

    const metrics = await (await fetch(`${dp.url}/metrics`)).text();
    expect(metrics).toMatch(/sluice_cache_lookups_total\{tier="hit-exact",endpoint="chat"\} [1-9]/);
    expect(metrics).toMatch(/sluice_cache_lookups_total\{tier="miss",endpoint="chat"\} [1-9]/);
    expect(metrics).toContain('sluice_cache_false_positive_reports_total');
  });

  it('feedback by entry id evicts an exact entry and counts a false positive', async () => {
    const q = fresh();
    await chat(q);
    await settle();
    const hit = await chat(q);
    const entry = hit.headers.get('x-sluice-cache-entry');
    const res = await admin('/admin/cache/feedback', { entry_id: entry });
    expect(res.status).toBe(200);
    expect((await chat(q)).headers.get('x-sluice-cache')).toBe('miss');
    expect((await admin('/admin/cache/feedback', { request_id: 'no-such-request' })).status).toBe(404);
    const metrics = await (await fetch(`${dp.url}/metrics`)).text();
    expect(metrics).toMatch(/sluice_cache_false_positive_reports_total\{tier="unknown"\} 1/);
  });
});
