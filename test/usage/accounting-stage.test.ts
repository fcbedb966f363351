import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../common/openai-types.js';
import { GatewayError, rateLimited, unauthorized, upstreamError } from '../../data-plane/errors.js';
import type { Outcome, RequestContext } from '../../data-plane/pipeline/types.js';
import { type AccountingStage, createAccountingStageWith } from '../../data-plane/stages/accounting.js';
import { openUsageDb } from '../../data-plane/usage/sqlite/db.js';
import { answered, makeCtx, stageDeps, tempDir } from './helpers.js';

let dataDir: string;
let stage: AccountingStage;

beforeAll(async () => {
  dataDir = await tempDir('accounting');
  stage = await createAccountingStageWith(stageDeps(dataDir), { flushIntervalMs: 10 });
});
afterAll(async () => {
  await stage.close();
  await rm(dataDir, { recursive: true, force: true });
});

type Row = Record<string, string | number>;
async function eventsOf(ids: string[]): Promise<Row[]> {
  await stage.recorder.drain();
  const { db, release } = openUsageDb(dataDir);
  const rows = db
    .prepare(`SELECT * FROM usage_events WHERE request_id IN (${ids.map(() => '?').join(',')})`)
    .all(...ids) as Row[];
  release();
  return rows;
}
async function eventOf(ctx: RequestContext): Promise<Row> {
  const rows = await eventsOf([ctx.id]);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

const chunk = (content: string): ChatChunk => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});

async function* chunks(n: number, failAt = -1): AsyncGenerator<ChatChunk> {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw upstreamError(502, 'upstream closed mid-stream', 'upstream_stream_error');
    yield chunk(`t${i}`);
  }
}

async function consume(outcome: Outcome, max = Number.POSITIVE_INFINITY): Promise<number> {
  if (outcome.type !== 'stream') throw new Error('not a stream');
  let n = 0;
  for await (const _ of outcome.chunks) if (++n >= max) break;
  return n;
}

describe('accounting stage: one event per request', () => {
  it('records an answered request with cost, rates, tags, latency and attempts', async () => {
    const ctx = makeCtx({ receivedAt: Date.now() - 50, headers: { 'x-sluice-tags': 'ticket=T-1,cost_center=evil' } });
    const out = await stage.run(ctx, async () => {
      answered(ctx, 1000, 200, 600);
      return { type: 'json', status: 200, body: {} };
    });
    expect(out).toMatchObject({ status: 200 });
    const e = await eventOf(ctx);
    // 400 × 0.15 + 600 × 0.075 + 200 × 0.60 $/M = 225 µ$ exactly.
    expect(e).toMatchObject({
      key: 'search-dev',
      team: 'search',
      org: 'acme',
      route: 'gpt-test',
      provider: 'fake',
      model: 'gpt-4o-mini',
      prompt_tokens: 1000,
      cached_tokens: 600,
      output_tokens: 200,
      usage_source: 'provider',
      cost_pico: 225_000_000,
      cost_micros: 225,
      priced: 1,
      price_input_pico: 150_000,
      price_cached_pico: 75_000,
      price_output_pico: 600_000,
      status: 'ok',
      http_status: 200,
      attempts: 1,
      cache_tier: 'miss',
      replica: 'test-replica',
    });
    // Config tags win over request tags; request tags only add new names.
    expect(JSON.parse(String(e.tags))).toEqual({ ticket: 'T-1', cost_center: 'cc-1', feature: 'search' });
    expect(Number(e.latency_ms)).toBeGreaterThanOrEqual(50);
  });

  it('records rejections (401 without key, 429 budget) with their status and error code', async () => {
    const anon = makeCtx({ authenticated: false });
    await expect(stage.run(anon, async () => Promise.reject(unauthorized('bad key')))).rejects.toThrow('bad key');
    const limited = makeCtx();
    await expect(
      stage.run(limited, async () => Promise.reject(rateLimited('over budget', 'budget_exceeded', {}))),
    ).rejects.toBeInstanceOf(GatewayError);
    const [a, b] = [await eventOf(anon), await eventOf(limited)];
    expect(a).toMatchObject({
      status: 'rejected',
      http_status: 401,
      error_code: 'invalid_api_key',
      key: '',
      cost_pico: 0,
    });
    expect(a.route).toBe('gpt-test');
    expect(b).toMatchObject({ status: 'rejected', http_status: 429, error_code: 'budget_exceeded', key: 'search-dev' });
  });

  it('records upstream failures and unexpected exceptions as errors', async () => {
    const failed = makeCtx();
    await expect(
      stage.run(failed, async () => {
        failed.meta.attempts = 3;
        failed.meta.degraded = true;
        throw upstreamError(502, 'all targets failed', 'upstream_unavailable');
      }),
    ).rejects.toThrow();
    const crashed = makeCtx();
    await expect(stage.run(crashed, async () => Promise.reject(new TypeError('bug')))).rejects.toThrow('bug');
    expect(await eventOf(failed)).toMatchObject({
      status: 'error',
      http_status: 502,
      attempts: 3,
      degraded: 1,
      error_code: 'upstream_unavailable',
    });
    expect(await eventOf(crashed)).toMatchObject({ status: 'error', http_status: 500, error_code: 'internal_error' });
  });

  it('records a cache hit at cost 0 with the saving computed from its usage', async () => {
    const ctx = makeCtx();
    await stage.run(ctx, async () => {
      answered(ctx, 1000, 100);
      ctx.meta.cacheTier = 'hit-exact';
      ctx.meta.attempts = 0;
      return { type: 'json', status: 200, body: {} };
    });
    // Saved: 1000 × 150 000 + 100 × 600 000 pico.
    expect(await eventOf(ctx)).toMatchObject({
      status: 'cached',
      cost_pico: 0,
      cost_micros: 0,
      saved_pico: 210_000_000,
    });
    const given = makeCtx();
    await stage.run(given, async () => {
      answered(given, 10, 10);
      given.meta.cacheTier = 'hit-semantic';
      given.meta.cacheSavedPico = 123_456;
      return { type: 'json', status: 200, body: {} };
    });
    expect(await eventOf(given)).toMatchObject({ status: 'cached', cost_pico: 0, saved_pico: 123_456 });
  });

  it('records a completed stream once, after it ended, with usage final and ttft', async () => {
    const ctx = makeCtx({ stream: true });
    const out = await stage.run(ctx, async () => ({
      type: 'stream',
      chunks: (async function* () {
        yield* chunks(3);
        answered(ctx, 50, 3); // usage becomes final only at the end of the stream
      })(),
    }));
    expect(await eventsOf([ctx.id])).toHaveLength(0);
    expect(await consume(out)).toBe(3);
    const e = await eventOf(ctx);
    expect(e).toMatchObject({ status: 'ok', http_status: 200, output_tokens: 3, prompt_tokens: 50 });
    expect(Number(e.ttft_ms)).toBeGreaterThanOrEqual(0);
    expect(Number(e.cost_pico)).toBe(50 * 150_000 + 3 * 600_000);
  });

  it('records a stream that fails mid-way as an error, charging what was produced', async () => {
    const ctx = makeCtx({ stream: true });
    const out = await stage.run(ctx, async () => {
      answered(ctx, 40, 2);
      return { type: 'stream', chunks: chunks(5, 2) };
    });
    await expect(consume(out)).rejects.toThrow('mid-stream');
    expect(await eventOf(ctx)).toMatchObject({
      status: 'error',
      http_status: 200,
      error_code: 'upstream_stream_error',
      cost_pico: 40 * 150_000 + 2 * 600_000,
    });
  });

  it('records streams abandoned by the client — also before the first chunk was pulled', async () => {
    const ctx = makeCtx({ stream: true });
    const out = await stage.run(ctx, async () => {
      answered(ctx, 10, 1);
      return { type: 'stream', chunks: chunks(10) };
    });
    expect(await consume(out, 2)).toBe(2);
    expect(await eventOf(ctx)).toMatchObject({ status: 'aborted' });

    const ac = new AbortController();
    const early = makeCtx({ stream: true, signal: ac.signal });
    await stage.run(early, async () => ({ type: 'stream', chunks: chunks(10) }));
    ac.abort();
    expect(await eventOf(early)).toMatchObject({ status: 'aborted', ttft_ms: -1 });
  });

  it('records a queued request once, when its job settles, not at the 202', async () => {
    const ctx = makeCtx();
    const out = await stage.run(ctx, async () => {
      ctx.meta.status = 'queued';
      ctx.meta.queueId = 'q-1';
      return { type: 'json', status: 202, body: { id: 'q-1', status: 'queued' } };
    });
    expect(out).toMatchObject({ status: 202 });
    expect(await eventsOf([ctx.id])).toHaveLength(0);
    // The job runs later on the same context, then the queue's hook reports it.
    answered(ctx, 100, 10);
    stage.settleQueued(ctx);
    stage.settleQueued(ctx); // a second report is ignored
    expect(await eventsOf([ctx.id])).toHaveLength(1);
    expect(await eventOf(ctx)).toMatchObject({ status: 'ok', queue_id: 'q-1', http_status: 202, prompt_tokens: 100 });
  });

  it("records a queued request through the queue's settlement hook (failed run and expiry)", async () => {
    const { emitQueuedSettled } = await import('../../data-plane/queue/events.js');
    const queuedRun = async (ctx: RequestContext): Promise<Outcome> => {
      ctx.meta.status = 'queued';
      ctx.meta.queueId = `q-${ctx.id}`;
      return { type: 'json', status: 202, body: {} };
    };
    const failed = makeCtx();
    const expired = makeCtx();
    await stage.run(failed, () => queuedRun(failed));
    await stage.run(expired, () => queuedRun(expired));
    expect(await eventsOf([failed.id, expired.id])).toHaveLength(0);
    answered(failed, 10, 0);
    failed.meta.attempts = 2;
    const error = upstreamError(502, 'upstream down', 'upstream_unavailable');
    emitQueuedSettled(failed, { status: 'error', queueId: `q-${failed.id}`, error, settledAt: Date.now() });
    emitQueuedSettled(expired, { status: 'expired', queueId: `q-${expired.id}`, error: null, settledAt: Date.now() });
    expect(await eventOf(failed)).toMatchObject({ status: 'error', error_code: 'upstream_unavailable', attempts: 2 });
    expect(await eventOf(expired)).toMatchObject({ status: 'expired', attempts: 0, cost_pico: 0 });
  });

  it('flags a model without an effective price instead of silently charging 0 as if priced', async () => {
    const ctx = makeCtx();
    await stage.run(ctx, async () => {
      answered(ctx, 10, 10);
      ctx.meta.upstreamModel = 'unpriced-model';
      return { type: 'json', status: 200, body: {} };
    });
    expect(await eventOf(ctx)).toMatchObject({ priced: 0, cost_pico: 0 });
  });
});
