import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../../common/openai-types.js';
import { GatewayError } from '../../../data-plane/errors.js';
import { anthropicToChatRequest } from '../../../data-plane/ingress/anthropic-request.js';
import type { Outcome, RequestContext } from '../../../data-plane/pipeline/types.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { makeSnapshot, TEST_KEY } from '../../helpers/snapshot.js';
import { chunk, completion, scripted, type TestPipeline, testPipeline, usageChunk } from './fixtures.js';

const behaviours: Record<string, (ctx: RequestContext) => Promise<Outcome>> = {};
let dp: TestDataPlane;
let pipeline: TestPipeline;

beforeAll(async () => {
  const normal = scripted('Hello from the gateway', ['Hello ', 'from the ', 'gateway']);
  pipeline = testPipeline(async (ctx) => {
    const b = behaviours[String((ctx.body as ChatRequest).user ?? '')];
    return b ? b(ctx) : normal(ctx);
  });
  dp = await startTestDataPlane({ snapshot: makeSnapshot(), pipeline });
});
afterAll(() => dp.close());

const sdk = () => new Anthropic({ apiKey: TEST_KEY, baseURL: dp.url, maxRetries: 0 });

const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('Anthropic Messages ingress', () => {
  it('answers the Anthropic SDK (non-streaming) with a Message', async () => {
    const msg = await sdk().messages.create({
      model: 'gpt-test',
      max_tokens: 64,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(msg.type).toBe('message');
    expect(msg.role).toBe('assistant');
    expect(msg.model).toBe('gpt-test');
    expect(msg.content).toEqual([{ type: 'text', text: 'Hello from the gateway' }]);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage).toMatchObject({ input_tokens: 5, output_tokens: 2 });
    const seen = pipeline.seen.at(-1)!;
    expect(seen.endpoint).toBe('messages');
    expect((seen.body as ChatRequest).messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
    expect((seen.body as ChatRequest).max_tokens).toBe(64);
  });

  it('streams the Anthropic event sequence that the SDK assembles into a Message', async () => {
    const stream = sdk().messages.stream({
      model: 'gpt-test',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const events: string[] = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Hello from the gateway' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(3);
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(events.at(-2)).toBe('message_delta');
    expect(events).toContain('content_block_start');
    expect(events).toContain('content_block_stop');
    expect(pipeline.seen.at(-1)!.stream).toBe(true);
    expect((pipeline.seen.at(-1)!.body as ChatRequest).stream_options).toEqual({ include_usage: true });
  });

  it('translates tool use both ways (JSON)', async () => {
    behaviours.tooljson = async () => ({
      type: 'json',
      status: 200,
      body: completion('', {
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
      }),
    });
    const msg = await sdk().messages.create({
      model: 'gpt-test',
      max_tokens: 64,
      tools: [weatherTool],
      tool_choice: { type: 'any' },
      metadata: { user_id: 'tooljson' },
      messages: [{ role: 'user', content: 'weather?' }],
    });
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }]);
    const body = pipeline.seen.at(-1)!.body as ChatRequest;
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather for a city', parameters: weatherTool.input_schema },
      },
    ]);
    expect(body.tool_choice).toBe('required');
  });

  it('streams tool_use blocks with input_json_delta', async () => {
    behaviours.toolstream = async () => ({
      type: 'stream',
      chunks: (async function* () {
        yield chunk({ role: 'assistant', content: 'Checking. ' });
        yield chunk({
          tool_calls: [{ index: 0, id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '' } }],
        });
        yield chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] });
        yield chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] });
        yield chunk({}, 'tool_calls');
        yield usageChunk(11, 7);
      })(),
    });
    const stream = sdk().messages.stream({
      model: 'gpt-test',
      max_tokens: 64,
      tools: [weatherTool],
      metadata: { user_id: 'toolstream' },
      messages: [{ role: 'user', content: 'weather?' }],
    });
    const final = await stream.finalMessage();
    expect(final.content).toEqual([
      { type: 'text', text: 'Checking. ' },
      { type: 'tool_use', id: 'call_9', name: 'get_weather', input: { city: 'Oslo' } },
    ]);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage.output_tokens).toBe(7);
  });

  it('renders errors in the Anthropic error shape', async () => {
    const bad = new Anthropic({ apiKey: 'sk-wrong', baseURL: dp.url, maxRetries: 0 });
    const err = await bad.messages
      .create({ model: 'gpt-test', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    const raw = await fetch(`${dp.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: "The model 'nope' does not exist" },
    });
    const missing = await fetch(`${dp.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_KEY },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { type: string; message: string } }).error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('max_tokens'),
    });
  });

  it('ends a failing stream with an Anthropic error event and no message_stop', async () => {
    behaviours.midfail = async () => ({
      type: 'stream',
      chunks: (async function* () {
        yield chunk({ content: 'part' });
        throw new GatewayError(529, 'overloaded_error', 'overloaded', 'upstream overloaded');
      })(),
    });
    const res = await fetch(`${dp.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_KEY },
      body: JSON.stringify({
        model: 'gpt-test',
        max_tokens: 5,
        stream: true,
        metadata: { user_id: 'midfail' },
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    const text = await res.text();
    expect(text).toContain('event: message_start');
    expect(text).not.toContain('message_stop');
    expect(text.trim().split('\n\n').at(-1)).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"upstream overloaded"}}',
    );
  });
});

describe('Anthropic request translation', () => {
  it('maps tool results, images, stop sequences and tool choice to OpenAI', () => {
    const { body, stream } = anthropicToChatRequest({
      model: 'm',
      max_tokens: 10,
      system: [
        { type: 'text', text: 'sys A' },
        { type: 'text', text: 'sys B' },
      ],
      stop_sequences: ['END'],
      temperature: 0.2,
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'calling' },
            { type: 'tool_use', id: 'tu_1', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'tu_1', content: [{ type: 'text', text: 'sunny' }] },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
    });
    expect(stream).toBe(false);
    expect(body.stop).toEqual(['END']);
    expect(body.temperature).toBe(0.2);
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(body.parallel_tool_calls).toBe(false);
    expect(body.messages).toEqual([
      { role: 'system', content: 'sys A\nsys B' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
      {
        role: 'assistant',
        content: 'calling',
        tool_calls: [{ id: 'tu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } }],
      },
      { role: 'tool', tool_call_id: 'tu_1', content: 'sunny' },
      { role: 'user', content: 'thanks' },
    ]);
  });

  it('rejects bad shapes with a param', () => {
    const err = (() => {
      try {
        anthropicToChatRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] });
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(err?.status).toBe(400);
    expect(err?.param).toBe('messages.0.role');
  });
});
