import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getProviderAdapter } from '../../../data-plane/providers/index.js';
import { closePools } from '../../../data-plane/providers/shared/pools.js';
import { ProviderError } from '../../../data-plane/providers/types.js';
import { type FakeServer, startFakeOpenAI } from '../../fakes/index.js';
import { asJson, asStream, chatReq, collect, collectUntilError, opts, providerOf, shape, textOf } from './helpers.js';

const adapter = getProviderAdapter('openai');
let fake: FakeServer;
let target: { provider: ReturnType<typeof providerOf>; model: string };

beforeAll(async () => {
  fake = await startFakeOpenAI();
  process.env.SLUICE_TEST_OPENAI_KEY = 'sk-test-openai';
  target = {
    provider: providerOf('openai', fake.url, {
      credential: 'env:SLUICE_TEST_OPENAI_KEY',
      headers: { 'OpenAI-Organization': 'org-1' },
    }),
    model: 'gpt-4o-mini',
  };
});
afterAll(async () => {
  await closePools();
  await fake.close();
});
beforeEach(() => fake.reset());

describe('openai adapter: requests', () => {
  it('passes the body through with the upstream model, auth and config headers', async () => {
    const req = chatReq({
      temperature: 0.2,
      seed: 7,
      n: 1,
      stop: ['END'],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        },
      ],
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      logit_bias: { '50256': -100 },
    });
    await adapter.chat(req, target, opts());
    const rec = fake.requests[0];
    expect(rec.url).toBe('/v1/chat/completions');
    expect(rec.headers.authorization).toBe('Bearer sk-test-openai');
    expect(rec.headers['openai-organization']).toBe('org-1');
    expect(rec.headers['x-request-id']).toBe('req-test-1');
    expect(rec.body).toEqual({ ...req, model: 'gpt-4o-mini' });
  });

  it('forces stream_options.include_usage upstream for streams', async () => {
    const r = await adapter.chat(chatReq({ stream: true }), target, opts());
    await collect(asStream(r));
    expect((fake.requests[0].body as { stream_options: unknown }).stream_options).toEqual({ include_usage: true });
  });
});

describe('openai adapter: JSON responses', () => {
  it('returns the response and normalized usage including cached tokens', async () => {
    fake.setBehavior({ text: 'Hi there', usage: { prompt: 120, completion: 3, cached: 100 } });
    const r = asJson(await adapter.chat(chatReq(), target, opts()));
    expect(r.response.choices[0].message.content).toBe('Hi there');
    expect(r.response.choices[0].finish_reason).toBe('stop');
    expect(r.usage).toEqual({
      promptTokens: 120,
      cachedInputTokens: 100,
      cacheWriteTokens: 0,
      outputTokens: 3,
      source: 'provider',
    });
  });

  it('returns tool calls', async () => {
    fake.setBehavior({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] });
    const r = asJson(await adapter.chat(chatReq(), target, opts()));
    expect(r.response.choices[0].finish_reason).toBe('tool_calls');
    expect(r.response.choices[0].message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
  });
});

describe('openai adapter: streams', () => {
  it('yields the upstream chunks and strips the forced usage chunk', async () => {
    fake.setBehavior({ chunks: ['Hel', 'lo'], usage: { prompt: 9, completion: 2 } });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target, opts()));
    const chunks = await collect(s);
    expect(shape(chunks)).toEqual([
      { delta: { role: 'assistant', content: '' }, finish: null },
      { delta: { content: 'Hel' }, finish: null },
      { delta: { content: 'lo' }, finish: null },
      { delta: {}, finish: 'stop' },
    ]);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(s.usage()).toEqual({
      promptTokens: 9,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 2,
      source: 'provider',
    });
  });

  it('keeps the usage chunk when the client asked for it', async () => {
    fake.setBehavior({ chunks: ['A'], usage: { prompt: 9, completion: 1, cached: 4 } });
    const s = asStream(
      await adapter.chat(chatReq({ stream: true, stream_options: { include_usage: true } }), target, opts()),
    );
    const chunks = await collect(s);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: 9,
      completion_tokens: 1,
      prompt_tokens_details: { cached_tokens: 4 },
    });
  });

  it('streams tool-call deltas', async () => {
    fake.setBehavior({ toolCalls: [{ id: 'call_9', name: 'lookup', arguments: { q: 'x' } }] });
    const chunks = await collect(asStream(await adapter.chat(chatReq({ stream: true }), target, opts())));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: 'call_9', type: 'function', function: { name: 'lookup', arguments: '' } });
    expect(calls.map((c) => c.function?.arguments ?? '').join('')).toBe('{"q":"x"}');
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('tool_calls');
  });

  it('counts usage when the provider sends none', async () => {
    fake.setBehavior({ chunks: ['abcd', 'efgh'], usage: null });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target, opts()));
    await collect(s);
    const u = s.usage();
    expect(u.source).toBe('counted');
    expect(u.outputTokens).toBeGreaterThan(0);
    expect(u.promptTokens).toBeGreaterThan(0);
  });

  it('an in-stream error event fails mid-stream', async () => {
    fake.setBehavior({ chunks: ['a', 'b', 'c'], errorEventAfterChunks: 2 });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target, opts()));
    const { chunks, error } = await collectUntilError(s);
    expect(textOf(chunks)).toBe('ab');
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'server_error', midStream: true });
    expect(s.usage().source).toBe('counted');
  });

  it('a stream ending after its finish_reason but without [DONE] is accepted (lenient servers)', async () => {
    fake.setBehavior({ chunks: ['a'], omitEnd: true, finishReason: undefined });
    // omitEnd drops [DONE] only; the finish chunk still arrives, which lenient servers rely on.
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target, opts()));
    await expect(collect(s)).resolves.toHaveLength(3);
  });
});

describe('openai adapter: embeddings', () => {
  it('passes through and reports provider usage', async () => {
    fake.setBehavior({ usage: { prompt: 6 } });
    const r = await adapter.embeddings(
      { model: 'alias', input: ['a', 'b'] },
      { ...target, model: 'text-embedding-3-small' },
      opts(),
    );
    expect(fake.requests[0].url).toBe('/v1/embeddings');
    expect((fake.requests[0].body as { model: string }).model).toBe('text-embedding-3-small');
    expect(r.response.data).toHaveLength(2);
    expect(r.usage).toMatchObject({ promptTokens: 6, outputTokens: 0, source: 'provider' });
  });
});
