import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countTextTokens } from '../../../common/tokens.js';
import { getProviderAdapter, warmUp } from '../../../data-plane/providers/index.js';
import { closePools } from '../../../data-plane/providers/shared/pools.js';
import { type FakeServer, startFakeOpenAI } from '../../fakes/index.js';
import { asJson, asStream, chatReq, closedPort, collect, opts, providerOf } from './helpers.js';

const adapter = getProviderAdapter('openai-compatible');
let fake: FakeServer;
let target: { provider: ReturnType<typeof providerOf>; model: string };

beforeAll(async () => {
  fake = await startFakeOpenAI();
  target = { provider: providerOf('openai-compatible', fake.url), model: 'llama3.1:8b' };
});
afterAll(async () => {
  await closePools();
  await fake.close();
});
beforeEach(() => fake.reset());

describe('openai-compatible adapter', () => {
  it('sends max_completion_tokens as max_tokens, no auth header without a credential', async () => {
    await adapter.chat(chatReq({ max_completion_tokens: 50, store: true }), target, opts());
    const body = fake.requests[0].body as Record<string, unknown>;
    expect(body.max_tokens).toBe(50);
    expect(body).not.toHaveProperty('max_completion_tokens');
    expect(body).not.toHaveProperty('store');
    expect(body.model).toBe('llama3.1:8b');
    expect(fake.requests[0].headers.authorization).toBeUndefined();
  });

  it('counts usage when a JSON response has none (and reports it to the client)', async () => {
    fake.setBehavior({ text: 'counted text here', usage: null });
    const r = asJson(await adapter.chat(chatReq(), target, opts()));
    expect(r.usage.source).toBe('counted');
    expect(r.usage.outputTokens).toBe(countTextTokens('llama3.1:8b', 'counted text here'));
    expect(r.response.usage?.completion_tokens).toBe(r.usage.outputTokens);
  });

  it('counts usage for a stream without a usage chunk', async () => {
    fake.setBehavior({ chunks: ['one', ' two'], usage: null });
    const s = asStream(
      await adapter.chat(chatReq({ stream: true, stream_options: { include_usage: true } }), target, opts()),
    );
    const chunks = await collect(s);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(s.usage()).toMatchObject({ source: 'counted', outputTokens: countTextTokens('llama3.1:8b', 'one two') });
  });
});

describe('warmUp', () => {
  it('opens a connection to each provider before traffic and reports unreachable ones', async () => {
    const port = await closedPort();
    const results = await warmUp({
      a: providerOf('openai', fake.url, { id: 'a', maxConnections: 5 }),
      b: providerOf('anthropic', `http://127.0.0.1:${port}`, { id: 'b' }),
      s: providerOf('simulated', 'http://simulated.invalid', { id: 's' }),
    });
    expect(results.map((r) => [r.provider, r.ok])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(fake.requests.map((r) => [r.method, r.url])).toEqual([['GET', '/v1']]);
    expect(fake.requests[0].headers.authorization).toBeUndefined();
    // The warm connection is the one the first request uses.
    await getProviderAdapter('openai').chat(
      chatReq(),
      { provider: providerOf('openai', fake.url, { id: 'a', maxConnections: 5 }), model: 'm' },
      opts(),
    );
    expect(fake.requests[1].remotePort).toBe(fake.requests[0].remotePort);
  });
});
