/**
 * The limits stage over both backends, with a fake inner pipeline (the router's behaviour for
 * JSON, completed / aborted / failed streams) — no server needed. End-to-end runs through the
 * real server live in e2e-*.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { countChatTokens, countTextTokens } from '../../common/tokens.js';
import { GatewayError } from '../../data-plane/errors.js';
import { MemoryLimiter } from '../../data-plane/limits/memory-limiter.js';
import { RedisLimiter } from '../../data-plane/limits/redis-limiter.js';
import type { Limiter } from '../../data-plane/limits/types.js';
import { buildLimitsStage } from '../../data-plane/stages/limits.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/services.js';
import { keyRecord, makeSnapshot, node, route, TEST_KEY } from '../helpers/snapshot.js';
import { chat, drain, jsonNext, makeCtx, silent, streamNext, usage } from './stage-helpers.js';

const open: Limiter[] = [];
afterAll(async () => {
  for (const l of open) await l.close();
});

const backends: Array<[string, () => Promise<Limiter>]> = [
  ['memory', async () => new MemoryLimiter()],
  [
    'redis',
    async () => {
      const l = await RedisLimiter.create({ url: TEST_REDIS_URL, keyPrefix: uniquePrefix('stage') });
      open.push(l);
      return l;
    },
  ],
];

const PRICE_IN = 150_000;
const PRICE_OUT = 600_000;
const costMicros = (prompt: number, out: number) => Math.ceil((prompt * PRICE_IN + out * PRICE_OUT) / 1e6);

function snapshotWith(teamBudgetMicros: number | null, over: Parameters<typeof makeSnapshot>[0] = {}) {
  return makeSnapshot({
    nodes: [
      node('org:acme'),
      node('team:search', {
        parent: 'org:acme',
        budget:
          teamBudgetMicros === null ? null : { amountMicros: teamBudgetMicros, period: 'monthly', timezone: 'UTC' },
      }),
      node('key:search-dev', { parent: 'team:search' }),
    ],
    ...over,
  });
}

describe.each(backends)('limits stage (%s)', (_name, makeLimiter) => {
  const status = async (l: Limiter, snapshot: ReturnType<typeof snapshotWith>, id: string) => {
    const stage = buildLimitsStage({ limiter: l, logger: silent });
    const route = stage.adminRoutes![0]!;
    const res = await route.handler({ query: new URLSearchParams({ node: id }), body: null, snapshot });
    return (res.body as { nodes: Array<{ spentMicros: number; reservedMicros: number; inFlight: number }> }).nodes[0]!;
  };

  it('reserves the buffered worst case, charges the actual cost, sets rate-limit headers', async () => {
    const limiter = await makeLimiter();
    const snapshot = snapshotWith(10_000_000, {
      nodes: [
        node('org:acme'),
        node('team:search', { parent: 'org:acme', limits: { rpm: 50, tpm: 100_000, tpd: null, maxConcurrent: null } }),
        node('key:search-dev', { parent: 'team:search' }),
      ],
    });
    const stage = buildLimitsStage({ limiter, logger: silent });
    const ctx = makeCtx(snapshot, chat('How many tokens is this prompt?', { max_tokens: 100 }));
    const input = countChatTokens('gpt-4o-mini', ctx.body.messages as never);
    let reservedDuring = -1;
    await stage.run(ctx, async () => {
      reservedDuring = (await status(limiter, snapshot, 'team:search')).reservedMicros;
      return jsonNext(ctx, usage(input, 40))();
    });
    expect(ctx.meta.inputTokensEstimate).toBe(input);
    // Buffer 10%; the cache-write rate (0.1875) is above the input rate, so it is the worst case.
    expect(reservedDuring).toBe(Math.ceil((Math.ceil(input * 1.1) * 187_500 + 110 * PRICE_OUT) / 1e6));
    const team = await status(limiter, snapshot, 'team:search');
    expect(team).toMatchObject({ spentMicros: costMicros(input, 40), reservedMicros: 0, inFlight: 0 });
    expect(ctx.meta.cost?.micros).toBe(costMicros(input, 40));
    expect(ctx.responseHeaders).toMatchObject({
      'x-ratelimit-limit-requests': '50',
      'x-ratelimit-remaining-requests': '49',
      'x-ratelimit-limit-tokens': '100000',
    });
    // Headers are written when the request is admitted: they include this request's reservation.
    expect(Number(ctx.responseHeaders['x-ratelimit-remaining-tokens'])).toBe(100_000 - Math.ceil((input + 100) * 1.1));
    expect(ctx.responseHeaders['x-ratelimit-reset-tokens']).toMatch(/^(\d+m)?\d+s$/);
  });

  it('prices the worst case at the most expensive target of the route and its fallbacks', async () => {
    const limiter = await makeLimiter();
    const snapshot = snapshotWith(null, {
      routes: [
        route('gpt-test', { fallback: ['premium'] }),
        route('premium', { targets: [{ provider: 'fake', model: 'gpt-4o', weight: 1, contextWindow: null }] }),
      ],
      pricing: {
        'fake/gpt-4o-mini': [
          { effectiveFrom: 0, inputPico: 150_000, outputPico: 600_000, cachedInputPico: 0, cacheWritePico: 0 },
        ],
        'fake/gpt-4o': [
          { effectiveFrom: 0, inputPico: 2_500_000, outputPico: 10_000_000, cachedInputPico: 0, cacheWritePico: 0 },
        ],
      },
    });
    const stage = buildLimitsStage({ limiter, logger: silent });
    const ctx = makeCtx(snapshot, chat('hi', { max_completion_tokens: 1000, n: 2 }));
    const input = countChatTokens('gpt-4o', ctx.body.messages as never);
    let reserved = -1;
    await stage.run(ctx, async () => {
      reserved = (await status(limiter, snapshot, 'key:search-dev')).reservedMicros;
      return jsonNext(ctx, usage(1, 1))();
    });
    expect(reserved).toBe(Math.ceil((Math.ceil(input * 1.1) * 2_500_000 + 2200 * 10_000_000) / 1e6));
  });

  it('embeddings: input tokens of every item are reserved and charged', async () => {
    const limiter = await makeLimiter();
    const snapshot = snapshotWith(null, {
      routes: [
        route('embed', {
          kind: 'embeddings',
          targets: [{ provider: 'fake', model: 'text-embedding-3-small', weight: 1, contextWindow: null }],
        }),
      ],
      pricing: {
        'fake/text-embedding-3-small': [
          { effectiveFrom: 0, inputPico: 20_000, outputPico: 0, cachedInputPico: 0, cacheWritePico: 0 },
        ],
      },
    });
    const stage = buildLimitsStage({ limiter, logger: silent });
    const ctx = makeCtx(snapshot, { model: 'embed', input: ['alpha beta', 'gamma'] }, { endpoint: 'embeddings' });
    await stage.run(ctx, async () => {
      ctx.meta.provider = 'fake';
      ctx.meta.upstreamModel = 'text-embedding-3-small';
      ctx.meta.usage = usage(7, 0);
      return { type: 'json', status: 200, body: {} };
    });
    const expected =
      countTextTokens('text-embedding-3-small', 'alpha beta') + countTextTokens('text-embedding-3-small', 'gamma');
    expect(ctx.meta.inputTokensEstimate).toBe(expected);
    expect((await status(limiter, snapshot, 'org:acme')).spentMicros).toBe(1); // 7 × 20_000 pico → 1 µ$ (rounded up)
  });

  it('refuses with 429 budget_exceeded, Retry-After to the period end, and charges nothing', async () => {
    const limiter = await makeLimiter();
    const snapshot = snapshotWith(100); // $0.0001: less than the worst case of any request
    const stage = buildLimitsStage({ limiter, logger: silent });
    const ctx = makeCtx(snapshot, chat('hello', { max_tokens: 500 }));
    const err = await stage.run(ctx, jsonNext(ctx, usage(1, 1))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    const g = err as GatewayError;
    expect(g).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
    expect(Number(g.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(g.message).toMatch(/Budget exceeded for team:search/);
    expect(await status(limiter, snapshot, 'key:search-dev')).toMatchObject({ reservedMicros: 0, inFlight: 0 });
  });

  it('refuses over RPM with rate_limit_exceeded and OpenAI headers', async () => {
    const limiter = await makeLimiter();
    const snapshot = snapshotWith(null, {
      nodes: [
        node('org:acme'),
        node('team:search', { parent: 'org:acme' }),
        node('key:search-dev', {
          parent: 'team:search',
          limits: { rpm: 2, tpm: null, tpd: null, maxConcurrent: null },
        }),
      ],
    });
    const stage = buildLimitsStage({ limiter, logger: silent });
    for (let i = 0; i < 2; i++) {
      const ctx = makeCtx(snapshot, chat('x'));
      await stage.run(ctx, jsonNext(ctx, usage(5, 5)));
    }
    const ctx = makeCtx(snapshot, chat('x'));
    const g = (await stage.run(ctx, jsonNext(ctx, usage(5, 5))).catch((e: unknown) => e)) as GatewayError;
    expect(g).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'rate_limit_error' });
    expect(g.headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0' });
    expect(Number(g.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(g.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('streams: completed, aborted and failed streams charge what was delivered', async () => {
    const limiter = await makeLimiter();
    const snapshot = snapshotWith(10_000_000);
    const stage = buildLimitsStage({ limiter, logger: silent });
    const run = async (opts: { chunks: number; failAfter?: number }, take?: number) => {
      const ctx = makeCtx(snapshot, chat('stream me', { max_tokens: 50, stream: true }), { stream: true });
      const outcome = await stage.run(ctx, streamNext(ctx, { prompt: 20, ...opts }));
      return drain(outcome, take);
    };
    const spent = async () => (await status(limiter, snapshot, 'team:search')).spentMicros;

    expect((await run({ chunks: 30 })).n).toBe(30);
    expect(await spent()).toBe(costMicros(20, 30));

    const aborted = await run({ chunks: 30 }, 7); // the client goes away after 7 chunks
    expect(aborted.n).toBe(7);
    expect(await spent()).toBe(costMicros(20, 30) + costMicros(20, 7));

    const failedMidway = await run({ chunks: 30, failAfter: 12 });
    expect(failedMidway.error).toBeInstanceOf(GatewayError);
    expect(await spent()).toBe(costMicros(20, 30) + costMicros(20, 7) + costMicros(20, 12));

    const failedEarly = await run({ chunks: 30, failAfter: 0 });
    expect(failedEarly.error).toBeInstanceOf(GatewayError);
    const final = await status(limiter, snapshot, 'team:search');
    expect(final).toMatchObject({ spentMicros: costMicros(20, 30) + costMicros(20, 7) + costMicros(20, 12) });
    expect(final).toMatchObject({ reservedMicros: 0, inFlight: 0 });
  });

  it('a stream the client abandons before reading is settled by the abort signal', async () => {
    const limiter = await makeLimiter();
    const snapshot = snapshotWith(10_000_000);
    const stage = buildLimitsStage({ limiter, logger: silent });
    const ac = new AbortController();
    const ctx = makeCtx(snapshot, chat('x', { stream: true }), { stream: true, signal: ac.signal });
    await stage.run(ctx, streamNext(ctx, { prompt: 5, chunks: 3 }));
    expect(await status(limiter, snapshot, 'key:search-dev')).toMatchObject({ inFlight: 1 });
    ac.abort();
    await new Promise((r) => setTimeout(r, 20));
    expect(await status(limiter, snapshot, 'key:search-dev')).toMatchObject({
      inFlight: 0,
      reservedMicros: 0,
      spentMicros: 0,
    });
  });

  it('a provider error before any output refunds the whole reservation', async () => {
    const limiter = await makeLimiter();
    const snapshot = snapshotWith(10_000_000);
    const stage = buildLimitsStage({ limiter, logger: silent });
    const ctx = makeCtx(snapshot, chat('x'));
    const err = await stage
      .run(ctx, async () => {
        throw new GatewayError(502, 'api_error', 'upstream_error', 'boom');
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(await status(limiter, snapshot, 'team:search')).toMatchObject({
      spentMicros: 0,
      reservedMicros: 0,
      inFlight: 0,
    });
  });

  it('a budget trips on streamed traffic and total spend stays within the budget', async () => {
    const limiter = await makeLimiter();
    const budget = 500; // $0.0005
    const snapshot = snapshotWith(budget);
    const stage = buildLimitsStage({ limiter, logger: silent });
    let admitted = 0;
    let refusal: GatewayError | null = null;
    for (let i = 0; i < 100 && !refusal; i++) {
      const ctx = makeCtx(snapshot, chat('count to ten', { max_tokens: 100, stream: true }), { stream: true });
      try {
        const outcome = await stage.run(ctx, streamNext(ctx, { prompt: 12, chunks: 100 }));
        await drain(outcome);
        admitted++;
      } catch (e) {
        refusal = e as GatewayError;
      }
    }
    expect(refusal).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(admitted).toBeGreaterThan(3);
    const team = await status(limiter, snapshot, 'team:search');
    expect(team.spentMicros).toBe(admitted * costMicros(12, 100));
    expect(team.spentMicros).toBeLessThanOrEqual(budget);
  });

  it('a budget raised or lowered by a new snapshot applies at once without resetting spend', async () => {
    const limiter = await makeLimiter();
    const stage = buildLimitsStage({ limiter, logger: silent });
    const first = snapshotWith(1_000_000);
    const ctx = makeCtx(first, chat('x', { max_tokens: 10 }));
    await stage.run(ctx, jsonNext(ctx, usage(1000, 1000)));
    const spent = costMicros(1000, 1000);
    const lowered = snapshotWith(spent); // exactly what was spent: locked
    const c2 = makeCtx(lowered, chat('x', { max_tokens: 10 }));
    await expect(stage.run(c2, jsonNext(c2, usage(1, 1)))).rejects.toMatchObject({ code: 'budget_exceeded' });
    const raised = snapshotWith(spent + 1_000);
    const c3 = makeCtx(raised, chat('x', { max_tokens: 10 }));
    await stage.run(c3, jsonNext(c3, usage(1, 1)));
    expect((await status(limiter, raised, 'team:search')).spentMicros).toBe(spent + costMicros(1, 1));
  });

  it('keys of other teams are not affected by one team running out', async () => {
    const limiter = await makeLimiter();
    const other = 'sk-other-team-key-000000000000';
    const snapshot = makeSnapshot({
      nodes: [
        node('org:acme'),
        node('team:search', {
          parent: 'org:acme',
          budget: { amountMicros: 1, period: 'daily', timezone: 'Europe/Berlin' },
        }),
        node('team:ads', { parent: 'org:acme' }),
        node('key:search-dev', { parent: 'team:search' }),
        node('key:ads-dev', { parent: 'team:ads' }),
      ],
      keys: [keyRecord(TEST_KEY), keyRecord(other, { name: 'ads-dev', team: 'ads' })],
    });
    const stage = buildLimitsStage({ limiter, logger: silent });
    const blocked = makeCtx(snapshot, chat('x'));
    await expect(stage.run(blocked, jsonNext(blocked, usage(1, 1)))).rejects.toMatchObject({ code: 'budget_exceeded' });
    const ok = makeCtx(snapshot, chat('x'), { secret: other });
    await stage.run(ok, jsonNext(ok, usage(1, 1)));
    expect((await status(limiter, snapshot, 'org:acme')).spentMicros).toBe(costMicros(1, 1));
  });
});
