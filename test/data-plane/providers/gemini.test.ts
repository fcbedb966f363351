import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGeminiRequest } from '../../../data-plane/providers/gemini/request.js';
import { getProviderAdapter } from '../../../data-plane/providers/index.js';
import { closePools } from '../../../data-plane/providers/shared/pools.js';
import type { ProviderError } from '../../../data-plane/providers/types.js';
import { type FakeServer, startFakeGemini } from '../../fakes/index.js';
import {
  asJson,
  asStream,
  chatReq,
  collect,
  collectUntilError,
  opts,
  providerOf,
  shape,
  textOf,
  thrown,
} from './helpers.js';

const adapter = getProviderAdapter('gemini');
let fake: FakeServer;
let target: { provider: ReturnType<typeof providerOf>; model: string };

beforeAll(async () => {
  fake = await startFakeGemini();
  process.env.SLUICE_TEST_GEMINI_KEY = 'gem-test-key';
  target = {
    provider: providerOf('gemini', fake.url, { credential: 'env:SLUICE_TEST_GEMINI_KEY' }),
    model: 'gemini-2.0-flash',
  };
});
afterAll(async () => {
  await closePools();
  await fake.close();
});
beforeEach(() => fake.reset());

describe('gemini request translation', () => {
  it('translates roles, system, tools, tool results, images and generation config (golden body)', () => {
    const body = toGeminiRequest({
      model: 'alias',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'identify', arguments: '{"kind":"image"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '{"label":"cat"}' },
        { role: 'tool', tool_call_id: 'call_a', content: 'plain text result' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'identify',
            description: 'Identify',
            parameters: {
              type: 'object',
              properties: { kind: { type: 'string', const: 'image' } },
              additionalProperties: false,
              $schema: 'x',
            },
          },
        },
        { type: 'function', function: { name: 'noop', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: { type: 'function', function: { name: 'identify' } },
      temperature: 0.3,
      top_p: 0.8,
      max_tokens: 100,
      stop: ['##'],
      n: 2,
      seed: 11,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'x',
          schema: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
        },
      },
    });
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        {
          role: 'user',
          parts: [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } }],
        },
        {
          role: 'model',
          parts: [{ text: 'Let me check.' }, { functionCall: { name: 'identify', args: { kind: 'image' } } }],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'identify', response: { label: 'cat' } } },
            { functionResponse: { name: 'identify', response: { content: 'plain text result' } } },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'identify',
              description: 'Identify',
              parameters: { type: 'object', properties: { kind: { type: 'string', enum: ['image'] } } },
            },
            { name: 'noop' },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['identify'] } },
      generationConfig: {
        temperature: 0.3,
        topP: 0.8,
        maxOutputTokens: 100,
        stopSequences: ['##'],
        candidateCount: 2,
        seed: 11,
        responseMimeType: 'application/json',
        responseSchema: { type: 'object', properties: { a: { type: 'string' } } },
      },
    });
  });

  it('maps tool_choice auto/none/required and json_object', () => {
    const tools = [{ type: 'function' as const, function: { name: 'f' } }];
    expect(toGeminiRequest(chatReq({ tools, tool_choice: 'auto' })).toolConfig).toEqual({
      functionCallingConfig: { mode: 'AUTO' },
    });
    expect(toGeminiRequest(chatReq({ tools, tool_choice: 'none' })).toolConfig).toEqual({
      functionCallingConfig: { mode: 'NONE' },
    });
    expect(toGeminiRequest(chatReq({ tools, tool_choice: 'required' })).toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY' },
    });
    expect(toGeminiRequest(chatReq({ response_format: { type: 'json_object' } })).generationConfig).toEqual({
      responseMimeType: 'application/json',
    });
  });

  it('a tool result for an unknown call id is a bad_request', () => {
    const req = chatReq({ messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] });
    expect(thrown(() => toGeminiRequest(req))).toMatchObject({ kind: 'bad_request' });
  });

  it('calls /v1beta/models/{model}:generateContent with x-goog-api-key', async () => {
    await adapter.chat(chatReq(), target, opts());
    const rec = fake.requests[0];
    expect(rec.url).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(rec.headers['x-goog-api-key']).toBe('gem-test-key');
    expect(rec.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }] });
  });
});

describe('gemini responses', () => {
  it('normalizes text and usage incl. cached and thoughts tokens', async () => {
    fake.setBehavior({ text: 'Hallo', usage: { prompt: 500, cached: 400, completion: 3, thoughts: 12 } });
    const r = asJson(await adapter.chat(chatReq(), target, opts()));
    expect(r.response.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'Hallo' }, finish_reason: 'stop', logprobs: null },
    ]);
    expect(r.response.model).toBe('gemini-2.0-flash');
    expect(r.usage).toEqual({
      promptTokens: 500,
      cachedInputTokens: 400,
      cacheWriteTokens: 0,
      outputTokens: 15,
      source: 'provider',
    });
    expect(r.response.usage).toMatchObject({
      prompt_tokens: 500,
      completion_tokens: 15,
      prompt_tokens_details: { cached_tokens: 400 },
    });
  });

  it('maps functionCall parts to tool_calls with finish_reason tool_calls; MAX_TOKENS → length', async () => {
    fake.setBehavior({ toolCalls: [{ name: 'identify', arguments: { kind: 'image' } }] });
    const r = asJson(await adapter.chat(chatReq(), target, opts()));
    const call = r.response.choices[0].message.tool_calls?.[0];
    expect(call?.function).toEqual({ name: 'identify', arguments: '{"kind":"image"}' });
    expect(call?.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(r.response.choices[0].finish_reason).toBe('tool_calls');
    expect(r.response.choices[0].message.content).toBeNull();
    fake.setBehavior({ text: 'x', finishReason: 'MAX_TOKENS' });
    expect(asJson(await adapter.chat(chatReq(), target, opts())).response.choices[0].finish_reason).toBe('length');
    fake.setBehavior({ text: 'x', finishReason: 'SAFETY' });
    expect(asJson(await adapter.chat(chatReq(), target, opts())).response.choices[0].finish_reason).toBe(
      'content_filter',
    );
  });
});

describe('gemini streams', () => {
  it('uses streamGenerateContent?alt=sse and yields exact chunks', async () => {
    fake.setBehavior({ chunks: ['Guten', ' Tag'], usage: { prompt: 8, completion: 2, cached: 3 } });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target, opts()));
    const chunks = await collect(s);
    expect(fake.requests[0].url).toBe('/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    expect(shape(chunks)).toEqual([
      { delta: { role: 'assistant', content: '' }, finish: null },
      { delta: { content: 'Guten' }, finish: null },
      { delta: { content: ' Tag' }, finish: null },
      { delta: {}, finish: 'stop' },
    ]);
    expect(chunks[0].id).toBe('chatcmpl-fake-response-1');
    expect(s.usage()).toEqual({
      promptTokens: 8,
      cachedInputTokens: 3,
      cacheWriteTokens: 0,
      outputTokens: 2,
      source: 'provider',
    });
  });

  it('streams functionCall parts as whole tool_calls deltas and adds usage when asked', async () => {
    fake.setBehavior({
      toolCalls: [
        { name: 'a', arguments: { x: 1 } },
        { name: 'b', arguments: {} },
      ],
      usage: { prompt: 4, completion: 6 },
    });
    const chunks = await collect(
      asStream(await adapter.chat(chatReq({ stream: true, stream_options: { include_usage: true } }), target, opts())),
    );
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls.map((c) => [c.index, c.function?.name, c.function?.arguments])).toEqual([
      [0, 'a', '{"x":1}'],
      [1, 'b', '{}'],
    ]);
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 6 } });
  });

  it('a body ending without finishReason is truncated; usage keeps the provider prompt count', async () => {
    fake.setBehavior({ chunks: ['a', 'b'], omitEnd: true, usage: { prompt: 21 } });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target, opts()));
    const { chunks, error } = await collectUntilError(s);
    expect(textOf(chunks)).toBe('ab');
    expect(error).toMatchObject({ kind: 'connection', midStream: true });
    expect(s.usage()).toMatchObject({ promptTokens: 21, source: 'counted' });
  });

  it('an in-stream error object fails mid-stream', async () => {
    fake.setBehavior({ chunks: ['a', 'b'], errorEventAfterChunks: 1 });
    const { error } = await collectUntilError(asStream(await adapter.chat(chatReq({ stream: true }), target, opts())));
    expect(error).toMatchObject({ kind: 'server_error', midStream: true });
  });
});

describe('gemini errors and embeddings', () => {
  it('maps 429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE, context window and 403', async () => {
    fake.script({ status: 429, retryAfterMs: 1500 }, { status: 503 }, { contextLengthError: true }, { status: 403 });
    const got: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const e = (await adapter.chat(chatReq(), target, opts()).catch((x) => x)) as ProviderError;
      got.push([e.kind, e.status, e.retryAfterMs]);
    }
    expect(got).toEqual([
      ['rate_limit', 429, 1500],
      ['server_error', 503, null],
      ['context_length', 400, null],
      ['auth', 403, null],
    ]);
  });

  it('embeddings use batchEmbedContents and count usage', async () => {
    const r = await adapter.embeddings(
      { model: 'alias', input: ['hello', 'world'], dimensions: 4 },
      { ...target, model: 'text-embedding-004' },
      opts(),
    );
    expect(fake.requests[0].url).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(fake.requests[0].body).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'hello' }] }, outputDimensionality: 4 },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'world' }] }, outputDimensionality: 4 },
      ],
    });
    expect(r.response.data.map((d) => (d.embedding as number[]).length)).toEqual([4, 4]);
    expect(r.usage.source).toBe('counted');
    expect(r.usage.promptTokens).toBeGreaterThan(0);
    const b64 = await adapter.embeddings(
      { model: 'a', input: 'hi', encoding_format: 'base64', dimensions: 2 },
      target,
      opts(),
    );
    expect(Buffer.from(b64.response.data[0].embedding as string, 'base64').length).toBe(8);
  });
});
