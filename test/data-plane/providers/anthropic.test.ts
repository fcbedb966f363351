import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toAnthropicRequest } from '../../../data-plane/providers/anthropic/request.js';
import { getProviderAdapter } from '../../../data-plane/providers/index.js';
import { closePools } from '../../../data-plane/providers/shared/pools.js';
import type { ProviderError } from '../../../data-plane/providers/types.js';
import { type FakeServer, startFakeAnthropic } from '../../fakes/index.js';
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

const adapter = getProviderAdapter('anthropic');
let fake: FakeServer;
let target: { provider: ReturnType<typeof providerOf>; model: string };

beforeAll(async () => {
  fake = await startFakeAnthropic();
  process.env.SLUICE_TEST_ANTHROPIC_KEY = 'sk-ant-test';
  target = {
    provider: providerOf('anthropic', fake.url, { credential: 'env:SLUICE_TEST_ANTHROPIC_KEY' }),
    model: 'claude-sonnet-4-5',
  };
});
afterAll(async () => {
  await closePools();
  await fake.close();
});
beforeEach(() => fake.reset());

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

describe('anthropic request translation', () => {
  it('translates a full conversation (golden body)', () => {
    const { body, jsonTool } = toAnthropicRequest(
      {
        model: 'alias',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: 'Use metric units.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Weather here?' },
              { type: 'image_url', image_url: { url: PNG } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: '{"temp":21}' },
          { role: 'user', content: 'Thanks' },
        ],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather',
              parameters: { type: 'object', properties: { city: { type: 'string' } } },
            },
          },
        ],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
        max_completion_tokens: 300,
        stop: 'END',
        temperature: 0.5,
        top_p: 0.9,
        seed: 1,
        user: 'u-42',
      },
      'claude-sonnet-4-5',
    );
    expect(jsonTool).toBeNull();
    expect(body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 300,
      system: 'You are terse.\n\nUse metric units.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temp":21}' },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      metadata: { user_id: 'u-42' },
      tools: [
        {
          name: 'get_weather',
          description: 'Weather',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
    });
  });

  it('keeps cache_control system blocks, defaults max_tokens, maps required → any', () => {
    const { body } = toAnthropicRequest(
      {
        model: 'a',
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'long context', cache_control: { type: 'ephemeral' } }] },
          { role: 'user', content: 'hi' },
        ],
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: 'required',
      },
      'm',
    );
    expect(body.system).toEqual([{ type: 'text', text: 'long context', cache_control: { type: 'ephemeral' } }]);
    expect(body.max_tokens).toBe(4096);
    expect(body.tool_choice).toEqual({ type: 'any' });
    expect(body.tools?.[0].input_schema).toEqual({ type: 'object', properties: {} });
  });

  it('json_schema becomes a forced tool; json_object a system instruction', () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    const { body, jsonTool } = toAnthropicRequest(
      chatReq({ response_format: { type: 'json_schema', json_schema: { name: 'out', schema } } }),
      'm',
    );
    expect(jsonTool).toBe('json_response');
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'json_response' });
    expect(body.tools?.[0].input_schema).toEqual(schema);
    const j = toAnthropicRequest(chatReq({ response_format: { type: 'json_object' } }), 'm');
    expect(j.body.system).toMatch(/valid JSON object/);
  });

  it('rejects n > 1 and unsupported parts as bad_request', () => {
    expect(thrown(() => toAnthropicRequest(chatReq({ n: 2 }), 'm'))).toMatchObject({ kind: 'bad_request' });
    const audio = chatReq({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] });
    expect(thrown(() => toAnthropicRequest(audio, 'm'))).toMatchObject({ kind: 'bad_request', message: /input_audio/ });
  });

  it('sends x-api-key, anthropic-version and the path /v1/messages', async () => {
    await adapter.chat(chatReq(), target, opts());
    const rec = fake.requests[0];
    expect(rec.url).toBe('/v1/messages');
    expect(rec.headers['x-api-key']).toBe('sk-ant-test');
    expect(rec.headers['anthropic-version']).toBe('2023-06-01');
    expect(rec.headers.authorization).toBeUndefined();
    expect(rec.body).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 4096, messages: [{ role: 'user' }] });
  });
});

describe('anthropic responses', () => {
  it('normalizes text and cache usage (prompt = input + cache read + cache write)', async () => {
    fake.setBehavior({ text: 'Bonjour', usage: { prompt: 1000, cached: 600, cacheWrite: 300, completion: 4 } });
    const r = asJson(await adapter.chat(chatReq(), target, opts()));
    expect(r.response.choices[0]).toMatchObject({
      index: 0,
      message: { role: 'assistant', content: 'Bonjour' },
      finish_reason: 'stop',
    });
    expect(r.usage).toEqual({
      promptTokens: 1000,
      cachedInputTokens: 600,
      cacheWriteTokens: 300,
      outputTokens: 4,
      source: 'provider',
    });
    expect(r.response.usage).toMatchObject({
      prompt_tokens: 1000,
      completion_tokens: 4,
      prompt_tokens_details: { cached_tokens: 600 },
    });
  });

  it('maps tool_use blocks and stop reasons', async () => {
    fake.setBehavior({
      text: 'Checking.',
      toolCalls: [{ id: 'toolu_7', name: 'get_weather', arguments: { city: 'Oslo' } }],
    });
    const r = asJson(await adapter.chat(chatReq(), target, opts()));
    expect(r.response.choices[0].finish_reason).toBe('tool_calls');
    expect(r.response.choices[0].message.content).toBe('Checking.');
    expect(r.response.choices[0].message.tool_calls).toEqual([
      { id: 'toolu_7', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
    ]);
    fake.setBehavior({ text: 'cut', finishReason: 'max_tokens' });
    const r2 = asJson(await adapter.chat(chatReq(), target, opts()));
    expect(r2.response.choices[0].finish_reason).toBe('length');
  });

  it('turns the json_schema stand-in tool back into content', async () => {
    fake.setBehavior({ toolCalls: [{ name: 'json_response', arguments: { a: 1 } }] });
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    const r = asJson(
      await adapter.chat(
        chatReq({ response_format: { type: 'json_schema', json_schema: { name: 'o', schema } } }),
        target,
        opts(),
      ),
    );
    expect(r.response.choices[0]).toMatchObject({ message: { content: '{"a":1}' }, finish_reason: 'stop' });
    expect(r.response.choices[0].message.tool_calls).toBeUndefined();
  });
});

describe('anthropic streams', () => {
  it('translates the event sequence into OpenAI chunks', async () => {
    fake.setBehavior({ chunks: ['Hi', ' there'], usage: { prompt: 50, cached: 20, cacheWrite: 10, completion: 2 } });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target, opts()));
    const chunks = await collect(s);
    expect(shape(chunks)).toEqual([
      { delta: { role: 'assistant', content: '' }, finish: null },
      { delta: { content: 'Hi' }, finish: null },
      { delta: { content: ' there' }, finish: null },
      { delta: {}, finish: 'stop' },
    ]);
    expect(chunks[0]).toMatchObject({ id: 'msg_fake01', object: 'chat.completion.chunk', model: 'claude-sonnet-4-5' });
    expect(s.usage()).toEqual({
      promptTokens: 50,
      cachedInputTokens: 20,
      cacheWriteTokens: 10,
      outputTokens: 2,
      source: 'provider',
    });
  });

  it('streams tool_use as tool_calls deltas (input_json_delta → arguments)', async () => {
    fake.setBehavior({ toolCalls: [{ id: 'toolu_1', name: 'lookup', arguments: { q: 'sluice' } }] });
    const chunks = await collect(asStream(await adapter.chat(chatReq({ stream: true }), target, opts())));
    expect(shape(chunks)).toEqual([
      { delta: { role: 'assistant', content: '' }, finish: null },
      {
        delta: {
          tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'lookup', arguments: '' } }],
        },
        finish: null,
      },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '{"q":"s' } }] }, finish: null },
      { delta: { tool_calls: [{ index: 0, function: { arguments: 'luice"}' } }] }, finish: null },
      { delta: {}, finish: 'tool_calls' },
    ]);
  });

  it('adds a usage chunk when the client asked for include_usage', async () => {
    fake.setBehavior({ chunks: ['x'], usage: { prompt: 5, completion: 1, cached: 2 } });
    const chunks = await collect(
      asStream(await adapter.chat(chatReq({ stream: true, stream_options: { include_usage: true } }), target, opts())),
    );
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6, prompt_tokens_details: { cached_tokens: 2 } },
    });
  });

  it('an overloaded error event before any text fails before the first chunk (retryable)', async () => {
    fake.setBehavior({ chunks: ['a', 'b'], errorEventAfterChunks: 0 });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target, opts()));
    const { chunks, error } = await collectUntilError(s);
    expect(chunks).toEqual([]);
    expect(error).toMatchObject({ kind: 'server_error', midStream: false });
  });

  it('an error event mid-way fails mid-stream; usage keeps the provider prompt and counts the output', async () => {
    fake.setBehavior({
      chunks: ['one', ' two', ' three'],
      errorEventAfterChunks: 2,
      usage: { prompt: 77, completion: 3 },
    });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target, opts()));
    const { chunks, error } = await collectUntilError(s);
    expect(textOf(chunks)).toBe('one two');
    expect(error).toMatchObject({ kind: 'server_error', midStream: true });
    expect((error as Error).message).toMatch(/Overloaded/);
    expect(s.usage()).toMatchObject({ promptTokens: 77, source: 'counted' });
    expect(s.usage().outputTokens).toBeGreaterThan(0);
  });

  it('a stream cut before message_stop is an error, not a silent end', async () => {
    fake.setBehavior({ chunks: ['a'], omitEnd: true });
    const { error } = await collectUntilError(asStream(await adapter.chat(chatReq({ stream: true }), target, opts())));
    expect(error).toMatchObject({ kind: 'connection', midStream: true });
  });
});

describe('anthropic errors', () => {
  it('529 overloaded → server_error; 429 → rate_limit with retry-after; prompt too long → context_length', async () => {
    fake.script(
      { status: 529 },
      { status: 429, retryAfter: '7' },
      { contextLengthError: true },
      { status: 401 },
      { status: 400, errorMessage: 'messages: bad' },
    );
    const kinds: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        await adapter.chat(chatReq(), target, opts());
      } catch (e) {
        const pe = e as ProviderError;
        kinds.push([pe.kind, pe.status, pe.retryAfterMs]);
        if (i === 4) expect(pe.message).toMatch(/messages: bad/);
      }
    }
    expect(kinds).toEqual([
      ['server_error', 529, null],
      ['rate_limit', 429, 7000],
      ['context_length', 400, null],
      ['auth', 401, null],
      ['bad_request', 400, null],
    ]);
  });

  it('embeddings are a clear bad_request', async () => {
    await expect(adapter.embeddings({ model: 'x', input: 'a' }, target, opts())).rejects.toMatchObject({
      kind: 'bad_request',
    });
  });
});
