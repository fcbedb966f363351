import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatResponse } from '../../common/openai-types.js';
import { cachePolicy, drain, type Harness, KEY_A2, KEY_B, stageHarness, user } from './helpers.js';

/**
 * Semantic tier with the offline default embedder (GloVe + SIF). Similarities of the pairs below
 * were measured with it (docs/cache.md): paraphrases score 0.96–0.998; the policy threshold is 0.95.
 */
describe('semantic cache (offline embedder)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await stageHarness(cachePolicy({ threshold: 0.95 }));
  }, 120_000);
  afterAll(() => h.close());

  const ask = async (text: string, opts: Parameters<Harness['run']>[1] = {}, extra: object = {}) => {
    const r = await h.run({ messages: [user(text)], ...extra }, opts);
    await h.settle();
    return r;
  };

  it.each([
    ['How do I reset my password?', 'How can I reset my password?'],
    ['How do I cancel my subscription?', 'How can I cancel my subscription?'],
    ['Give me a recipe for chocolate chip cookies', 'Can you give me a recipe for chocolate chip cookies?'],
    ['What are the health benefits of green tea?', 'What health benefits does green tea have?'],
    ['What is the capital of France?', 'What is the capital city of France?'],
  ])('paraphrase hits: "%s" answers "%s"', async (first, second) => {
    const calls = h.calls.length;
    const a = await ask(first);
    expect(a.ctx.meta.cacheTier).toBe('miss');
    const b = await ask(second);
    expect(b.ctx.meta.cacheTier).toBe('hit-semantic');
    expect(h.calls.length).toBe(calls + 1);
    expect(b.ctx.responseHeaders['x-sluice-cache']).toBe('hit-semantic');
    const sim = Number(b.ctx.responseHeaders['x-sluice-cache-similarity']);
    expect(sim).toBeGreaterThanOrEqual(0.95);
    expect(b.ctx.meta.cacheSimilarity).toBeCloseTo(sim, 3);
    expect(b.outcome.type === 'json' && (b.outcome.body as ChatResponse).choices[0]!.message.content).toBe(
      `answer to: ${first}`,
    );
    // The hit carries the original usage and what it saved: 12 × 150_000 + 5 × 600_000 pico-dollars.
    expect(b.ctx.meta.usage).toMatchObject({ promptTokens: 12, outputTokens: 5 });
    expect(b.ctx.meta.cacheSavedPico).toBe(12 * 150_000 + 5 * 600_000);
    expect(b.ctx.meta.provider).toBe('fake');
    expect(b.ctx.meta.upstreamModel).toBe('gpt-4o-mini');
  });

  it.each([
    ['What is the weather in Paris today?', 'What is the weather in London today?'],
    ['Can I take 2 tablets of ibuprofen?', 'Can I take 20 tablets of ibuprofen?'],
    ['Is ibuprofen safe during pregnancy?', 'Is ibuprofen not safe during pregnancy?'],
    ['How do I cancel my subscription?', 'How do I upgrade my subscription?'],
    ['Write a poem about the sea', 'Write a poem about the mountains'],
  ])('different questions miss: "%s" does not answer "%s"', async (first, second) => {
    await ask(first);
    const b = await ask(second);
    expect(b.ctx.meta.cacheTier).toBe('miss');
    expect(b.outcome.type === 'json' && (b.outcome.body as ChatResponse).choices[0]!.message.content).toBe(
      `answer to: ${second}`,
    );
  });

  it('counts guard rejections (the negation pair scores ~0.999 and only the guard stops it)', async () => {
    const stats = await h.stage.service.stats();
    expect(stats.semanticRejections.negation).toBeGreaterThanOrEqual(1);
  });

  it('isolates teams: team beta never gets team alpha’s answers, another alpha key does', async () => {
    const reply = h.reply;
    let n = 0;
    h.reply = (req) => ({
      ...reply(req),
      choices: [{ index: 0, message: { role: 'assistant', content: `upstream call ${++n}` }, finish_reason: 'stop' }],
    });
    try {
      const text = (r: Awaited<ReturnType<typeof ask>>) =>
        r.outcome.type === 'json' ? (r.outcome.body as ChatResponse).choices[0]!.message.content : null;
      expect(text(await ask('How do I export my invoices?'))).toBe('upstream call 1'); // alpha
      const betaExact = await ask('How do I export my invoices?', { key: KEY_B });
      expect(betaExact.ctx.meta.cacheTier).toBe('miss');
      expect(text(betaExact)).toBe('upstream call 2');
      const betaSemantic = await ask('How can I export my invoices?', { key: KEY_B });
      expect(betaSemantic.ctx.meta.cacheTier).toBe('hit-semantic');
      expect(text(betaSemantic)).toBe('upstream call 2'); // beta's own entry, never alpha's
      const alphaOtherKey = await ask('How can I export my invoices?', { key: KEY_A2 });
      expect(alphaOtherKey.ctx.meta.cacheTier).toBe('hit-semantic');
      expect(text(alphaOtherKey)).toBe('upstream call 1');
      expect(n).toBe(2);
    } finally {
      h.reply = reply;
    }
  });

  it('compares only inside the same conversation context', async () => {
    const convo = (assistant: string, last: string) => ({
      messages: [user('I want to travel in spring.'), { role: 'assistant' as const, content: assistant }, user(last)],
    });
    const r1 = await h.run(convo('Consider Japan for the cherry blossoms.', 'How do I book the flights?'));
    await h.settle();
    expect(r1.ctx.meta.cacheTier).toBe('miss');
    const same = await h.run(convo('Consider Japan for the cherry blossoms.', 'How can I book the flights?'));
    expect(same.ctx.meta.cacheTier).toBe('hit-semantic');
    const other = await h.run(convo('Consider Portugal for the mild weather.', 'How can I book the flights?'));
    expect(other.ctx.meta.cacheTier).toBe('miss');
  });

  it('keeps different system prompts and parameters apart', async () => {
    await ask('How do I rotate my API keys?', {}, { temperature: 0 });
    expect((await ask('How can I rotate my API keys?', {}, { temperature: 0 })).ctx.meta.cacheTier).toBe(
      'hit-semantic',
    );
    expect((await ask('How can I rotate my API keys?', {}, { temperature: 1 })).ctx.meta.cacheTier).toBe('miss');
    const sys = (s: string, q: string) => ({ messages: [{ role: 'system' as const, content: s }, user(q)] });
    await h.run(sys('Answer as a pirate.', 'How do I bake bread?'));
    await h.settle();
    expect((await h.run(sys('Answer as a pirate.', 'How can I bake bread?'))).ctx.meta.cacheTier).toBe('hit-semantic');
    expect((await h.run(sys('Answer formally.', 'How can I bake bread?'))).ctx.meta.cacheTier).toBe('miss');
  });

  it('skips the semantic tier for conversations longer than maxMessages', async () => {
    const long = (q: string) => ({
      messages: [
        user('a'),
        { role: 'assistant' as const, content: 'b' },
        user('c'),
        { role: 'assistant' as const, content: 'd' },
        user('e'),
        { role: 'assistant' as const, content: 'f' },
        user(q),
      ],
    });
    await h.run(long('How do I renew my passport?'));
    await h.settle();
    expect((await h.run(long('How can I renew my passport?'))).ctx.meta.cacheTier).toBe('miss');
    expect((await h.run(long('How do I renew my passport?'))).ctx.meta.cacheTier).toBe('hit-exact');
  });

  it('honours no-semantic and expires by content-type TTL', async () => {
    await ask('How do I update my billing address?');
    const opt = await ask('How can I update my billing address?', { headers: { 'x-sluice-cache': 'no-semantic' } });
    expect(opt.ctx.meta.cacheTier).toBe('miss');
    // "news" content (the prompt asks for the latest …) lives 5 s; default 60 s.
    await ask('What are the latest numbers on inflation?');
    h.clock.t += 6_000;
    expect((await ask('What are the latest figures on inflation?')).ctx.meta.cacheTier).toBe('miss');
    expect((await ask('How can I update my billing address?')).ctx.meta.cacheTier).toBe('hit-exact');
    h.clock.t += 120_000;
    expect((await ask('How can I update my billing address?')).ctx.meta.cacheTier).toBe('miss');
  });

  it('serves a semantic hit to a streaming request as a replayed stream', async () => {
    await ask('How do I enable two factor authentication?');
    const r = await ask('How can I enable two factor authentication?', { stream: true });
    expect(r.ctx.meta.cacheTier).toBe('hit-semantic');
    const chunks = await drain(r.outcome);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      'answer to: How do I enable two factor authentication?',
    );
  });

  it('feedback on a wrong semantic hit evicts the entry and counts a false positive', async () => {
    await ask('How do I close my account?');
    const hit = await ask('How can I close my account?');
    expect(hit.ctx.meta.cacheTier).toBe('hit-semantic');
    await h.settle();
    const res = await h.stage
      .adminRoutes!.find((r) => r.path === '/admin/cache/feedback')!
      .handler({
        query: new URLSearchParams(),
        body: { request_id: hit.ctx.id },
        snapshot: h.snapshot,
      });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ evicted: true, tier: 'hit-semantic' });
    expect((await ask('How can I close my account?')).ctx.meta.cacheTier).toBe('miss');
    const stats = await h.stage.service.stats();
    expect(stats.falsePositiveReports['hit-semantic']).toBe(1);
    expect(stats.hits.semantic).toBeGreaterThan(0);
    expect(stats.hitRate.semantic).toBeGreaterThan(0);
  });
});
