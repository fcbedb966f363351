/** The upstream embedder: embeddings through the gateway's own provider layer (an embeddings route). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeServer } from '../fakes/types.js';
import { cachePolicy, type Harness, stageHarness, user } from './helpers.js';

describe('upstream embedder', () => {
  let fake: FakeServer;
  let h: Harness;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    h = await stageHarness(
      cachePolicy({
        exact: { enabled: false, ttlMs: 0 },
        semantic: {
          enabled: true,
          threshold: 0.9999,
          embedder: { type: 'upstream', route: 'embed-test' },
          ttlMsByContentType: { default: 60_000 },
          maxMessages: 3,
        },
      }),
      { baseUrl: fake.url },
    );
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it('embeds the last user turn through the embeddings route and serves semantic hits', async () => {
    const first = await h.run({ messages: [user('How do I reset my password?')] });
    expect(first.ctx.meta.cacheTier).toBe('miss');
    await h.settle();
    const second = await h.run({ messages: [user('How do I reset my password?')] });
    expect(second.ctx.meta.cacheTier).toBe('hit-semantic');
    expect(second.ctx.meta.cacheSimilarity).toBeCloseTo(1, 6);
    expect(h.calls).toHaveLength(1);
    const embedCalls = fake.requests.filter((r) => r.url.endsWith('/embeddings'));
    expect(embedCalls.length).toBeGreaterThanOrEqual(2);
    expect(embedCalls[0]!.body).toMatchObject({
      model: 'text-embedding-3-small',
      input: 'How do I reset my password?',
    });
    const stats = await h.stage.service.stats();
    expect(stats.semantic.indexes).toEqual([{ dims: 8, kind: 'scan', items: 1 }]);
  });

  it('an embedder failure degrades to a miss, never an error', async () => {
    fake.script({ status: 500 }, { status: 500 }, { status: 500 });
    const r = await h.run({ messages: [user('Something else entirely')] });
    expect(r.ctx.meta.cacheTier).toBe('miss');
    expect(r.outcome.type).toBe('json');
  });
});
