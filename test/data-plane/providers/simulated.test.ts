import { describe, expect, it } from 'vitest';
import type { SimulatedSettings } from '../../../common/snapshot.js';
import { countChatTokens, countTextTokens } from '../../../common/tokens.js';
import { getProviderAdapter } from '../../../data-plane/providers/index.js';
import { ProviderError } from '../../../data-plane/providers/types.js';
import { asJson, asStream, chatReq, collect, collectUntilError, opts, providerOf, textOf } from './helpers.js';

const adapter = getProviderAdapter('simulated');
const settings = (over: Partial<SimulatedSettings> = {}): SimulatedSettings => ({
  latencyMs: 0,
  interChunkMs: 0,
  outputTokens: 40,
  errorRate: 0,
  seed: 1,
  ...over,
});
const targetOf = (over: Partial<SimulatedSettings> = {}) => ({
  provider: providerOf('simulated', 'http://simulated.invalid', { simulated: settings(over) }),
  model: 'gpt-4o-mini',
});

describe('simulated provider', () => {
  it('answers deterministically with an echo and usage matching the text', async () => {
    const req = chatReq({ messages: [{ role: 'user', content: 'What is a sluice gate?' }] });
    const a = asJson(await adapter.chat(req, targetOf(), opts()));
    const b = asJson(await adapter.chat(structuredClone(req), targetOf(), opts()));
    expect(a.response.choices).toEqual(b.response.choices);
    expect(a.response.id).toBe(b.response.id);
    const text = a.response.choices[0].message.content as string;
    expect(text).toContain('What is a sluice gate?');
    expect(a.usage).toEqual({
      promptTokens: countChatTokens('gpt-4o-mini', req.messages),
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: countTextTokens('gpt-4o-mini', text),
      source: 'provider',
    });
    expect(a.usage.outputTokens).toBeLessThanOrEqual(40);
    expect(a.usage.outputTokens).toBeGreaterThan(30);
    expect(a.response.choices[0].finish_reason).toBe('stop');
    const other = asJson(
      await adapter.chat(chatReq({ messages: [{ role: 'user', content: 'Something else' }] }), targetOf(), opts()),
    );
    expect(other.response.choices[0].message.content).not.toBe(text);
  });

  it('caps output at max_tokens with finish_reason length', async () => {
    const r = asJson(await adapter.chat(chatReq({ max_tokens: 5 }), targetOf(), opts()));
    expect(r.response.choices[0].finish_reason).toBe('length');
    expect(r.usage.outputTokens).toBeLessThanOrEqual(5);
    expect(r.usage.outputTokens).toBe(countTextTokens('gpt-4o-mini', r.response.choices[0].message.content as string));
  });

  it('streams the same text as the JSON answer, paced, with usage on request', async () => {
    const req = chatReq({ messages: [{ role: 'user', content: 'Stream please' }] });
    const json = asJson(await adapter.chat(req, targetOf(), opts()));
    const s = asStream(
      await adapter.chat(
        { ...req, stream: true, stream_options: { include_usage: true } },
        targetOf({ interChunkMs: 1 }),
        opts(),
      ),
    );
    const chunks = await collect(s);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(textOf(chunks)).toBe(json.response.choices[0].message.content);
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)?.usage).toEqual(json.response.usage);
    expect(s.usage()).toEqual(json.usage);
  });

  it('answers JSON mode with valid JSON, schema-shaped for json_schema', async () => {
    const obj = asJson(await adapter.chat(chatReq({ response_format: { type: 'json_object' } }), targetOf(), opts()));
    expect(typeof JSON.parse(obj.response.choices[0].message.content as string).reply).toBe('string');
    const schema = {
      type: 'object',
      properties: {
        city: { type: 'string' },
        temp: { type: 'number' },
        unit: { enum: ['C', 'F'] },
        tags: { type: 'array', items: { type: 'string' } },
      },
    };
    const r = asJson(
      await adapter.chat(
        chatReq({ response_format: { type: 'json_schema', json_schema: { name: 'w', schema } } }),
        targetOf(),
        opts(),
      ),
    );
    const v = JSON.parse(r.response.choices[0].message.content as string);
    expect(typeof v.city).toBe('string');
    expect(typeof v.temp).toBe('number');
    expect(['C', 'F']).toContain(v.unit);
    expect(Array.isArray(v.tags)).toBe(true);
  });

  it('calls tools when tool_choice is required or named, streaming argument deltas', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'a', parameters: { type: 'object', properties: { x: { type: 'integer' } } } },
      },
      {
        type: 'function' as const,
        function: { name: 'b', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    const r = asJson(
      await adapter.chat(
        chatReq({ tools, tool_choice: { type: 'function', function: { name: 'b' } } }),
        targetOf(),
        opts(),
      ),
    );
    const call = r.response.choices[0].message.tool_calls?.[0];
    expect(call?.function.name).toBe('b');
    expect(typeof JSON.parse(call?.function.arguments ?? '').q).toBe('string');
    expect(r.response.choices[0].finish_reason).toBe('tool_calls');
    expect(r.response.choices[0].message.content).toBeNull();
    const auto = asJson(await adapter.chat(chatReq({ tools, tool_choice: 'auto' }), targetOf(), opts()));
    expect(auto.response.choices[0].message.tool_calls).toBeUndefined();
    const chunks = await collect(
      asStream(await adapter.chat(chatReq({ tools, tool_choice: 'required', stream: true }), targetOf(), opts())),
    );
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { arguments: '' } });
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toBeTypeOf('object');
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('tool_calls');
  });

  it('n > 1 gives distinct deterministic choices', async () => {
    const r = asJson(await adapter.chat(chatReq({ n: 3 }), targetOf(), opts()));
    expect(r.response.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(r.response.choices.map((c) => c.message.content)).size).toBe(3);
  });

  it('fails deterministically at about the configured error rate', async () => {
    let failures = 0;
    const outcomes: boolean[] = [];
    for (let i = 0; i < 400; i++) {
      const req = chatReq({ messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 1 });
      const ok = await adapter.chat(req, targetOf({ errorRate: 0.25 }), opts()).then(
        () => true,
        (e) => {
          expect(e).toBeInstanceOf(ProviderError);
          expect(e).toMatchObject({ kind: 'server_error', status: 500 });
          return false;
        },
      );
      if (!ok) failures++;
      outcomes.push(ok);
    }
    expect(failures).toBeGreaterThan(70);
    expect(failures).toBeLessThan(130);
    // Same requests, same outcomes.
    for (let i = 0; i < 20; i++) {
      const req = chatReq({ messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 1 });
      const ok = await adapter.chat(req, targetOf({ errorRate: 0.25 }), opts()).then(
        () => true,
        () => false,
      );
      expect(ok).toBe(outcomes[i]);
    }
    // A different seed picks a different set of failing requests.
    const seeds = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        adapter
          .chat(
            chatReq({ messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 1 }),
            targetOf({ errorRate: 0.25, seed: 2 }),
            opts(),
          )
          .then(
            () => true,
            () => false,
          ),
      ),
    );
    expect(seeds).not.toEqual(outcomes.slice(0, 40));
  });

  it('honours latency, first-token timeout and abort', async () => {
    const t0 = performance.now();
    await adapter.chat(chatReq(), targetOf({ latencyMs: 60 }), opts());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    await expect(
      adapter.chat(chatReq(), targetOf({ latencyMs: 1_000 }), opts({ timeouts: { firstTokenMs: 50 } })),
    ).rejects.toMatchObject({
      kind: 'timeout',
    });
    const ac = new AbortController();
    const s = asStream(
      await adapter.chat(chatReq({ stream: true }), targetOf({ interChunkMs: 20 }), opts({ signal: ac.signal })),
    );
    const reason = new Error('bye');
    setTimeout(() => ac.abort(reason), 70);
    const { chunks, error } = await collectUntilError(s);
    expect(error).toBe(reason);
    expect(chunks.length).toBeGreaterThan(1);
    expect(s.usage()).toMatchObject({
      source: 'counted',
      outputTokens: countTextTokens('gpt-4o-mini', textOf(chunks)),
    });
  });

  it('total timeout mid-stream', async () => {
    const s = asStream(
      await adapter.chat(
        chatReq({ stream: true }),
        targetOf({ interChunkMs: 30 }),
        opts({ timeouts: { totalMs: 100 } }),
      ),
    );
    const { error } = await collectUntilError(s);
    expect(error).toMatchObject({ kind: 'timeout', midStream: true });
  });

  it('embeddings: deterministic unit vectors, similar texts closer', async () => {
    const r = await adapter.embeddings(
      { model: 'e', input: ['the cat sat', 'the cat sat down', 'quantum finance'] },
      targetOf(),
      opts(),
    );
    const [a, b, c] = r.response.data.map((d) => d.embedding as number[]);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0);
    expect(a).toHaveLength(256);
    expect(dot(a, a)).toBeCloseTo(1, 6);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c));
    const again = await adapter.embeddings({ model: 'e', input: 'the cat sat', dimensions: 64 }, targetOf(), opts());
    expect(again.response.data[0].embedding).toHaveLength(64);
    expect(r.usage).toMatchObject({ source: 'provider', outputTokens: 0 });
    expect(r.usage.promptTokens).toBeGreaterThan(0);
  });
});
