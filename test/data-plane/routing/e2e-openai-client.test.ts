/** The official `openai` npm client, unchanged, against the gateway: JSON, streaming, tools, failures. */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeServer, startFakeOpenAI } from '../../fakes/index.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { makeSnapshot, provider, route, TEST_KEY } from '../../helpers/snapshot.js';

let a: FakeServer;
let b: FakeServer;
let dp: TestDataPlane;
let client: OpenAI;

beforeAll(async () => {
  [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  const snap = makeSnapshot({
    providers: [provider('a', a.url), provider('b', b.url)],
    routes: [
      route('gpt-test', {
        targets: [{ provider: 'a', model: 'gpt-4o-mini', weight: 1, contextWindow: null }],
        fallback: ['backup'],
        retry: { attempts: 0, baseDelayMs: 10, maxDelayMs: 100, on: ['server_error', 'connection'] },
        circuitBreaker: { failureThreshold: 1_000, cooldownMs: 1_000, halfOpenProbes: 1 },
      }),
      route('backup', { targets: [{ provider: 'b', model: 'gpt-4o', weight: 1, contextWindow: null }] }),
    ],
  });
  dp = await startTestDataPlane({ snapshot: snap });
  client = new OpenAI({ apiKey: TEST_KEY, baseURL: `${dp.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await dp?.close();
  await Promise.all([a?.close(), b?.close()]);
});
beforeEach(() => {
  a.reset();
  b.reset();
});

describe('openai npm client through the router', () => {
  it('non-streaming, with the x-sluice headers', async () => {
    a.setBehavior({ text: 'Hi there', usage: { prompt: 12, completion: 2 } });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Hi there');
    expect(data.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 2 });
    expect(response.headers.get('x-sluice-provider')).toBe('a');
    expect(response.headers.get('x-sluice-degraded')).toBe('false');
  });

  it('streaming with include_usage', async () => {
    a.setBehavior({ chunks: ['Hel', 'lo', '!'], usage: { prompt: 9, completion: 3 } });
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('Hello!');
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 3 });
  });

  it('tools, non-streaming and streaming', async () => {
    a.setBehavior({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] });
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const res = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools,
    });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    expect(res.choices[0].message.tool_calls?.[0].function).toEqual({
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
    expect((a.requests[0].body as { tools: unknown }).tools).toEqual(tools);

    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools,
      stream: true,
    });
    let args = '';
    let name = '';
    for await (const c of stream) {
      for (const tc of c.choices[0]?.delta?.tool_calls ?? []) {
        name += tc.function?.name ?? '';
        args += tc.function?.arguments ?? '';
      }
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
  });

  it('a 5xx from the first target falls back; the client just sees the answer', async () => {
    a.setBehavior({ status: 500 });
    b.setBehavior({ text: 'from backup' });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('from backup');
    expect(response.headers.get('x-sluice-degraded')).toBe('true');
    expect(response.headers.get('x-sluice-attempts')).toBe('2');
  });

  it('a stream cut mid-way surfaces as an error in the client, not a clean end', async () => {
    a.setBehavior({ chunks: ['one', ' two', ' three'], resetAfterChunks: 1 });
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
    });
    let text = '';
    const consume = async () => {
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    };
    await expect(consume()).rejects.toThrow(/Upstream stream failed/);
    expect(text).toBe('one');
  });

  it('errors are OpenAI-shaped for the client', async () => {
    a.setBehavior({ status: 400, errorMessage: 'bad temperature' });
    await expect(
      client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('bad temperature') });
  });
});
