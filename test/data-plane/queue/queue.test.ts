import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../../common/openai-types.js';
import type { Snapshot } from '../../../common/snapshot.js';
import type { DataPlaneConfig } from '../../../data-plane/config.js';
import { GatewayError } from '../../../data-plane/errors.js';
import type { ProviderAccountGate, StageDeps } from '../../../data-plane/pipeline/deps.js';
import type { Next, Outcome, RequestContext } from '../../../data-plane/pipeline/types.js';
import { onQueuedSettled, type QueuedSettlement } from '../../../data-plane/queue/events.js';
import { AllTargetsExhaustedError } from '../../../data-plane/routing/errors.js';
import { routingRuntime } from '../../../data-plane/routing/runtime.js';
import { createQueueStage } from '../../../data-plane/stages/queue.js';
import { keyRecord, makeSnapshot, route, TEST_KEY } from '../../helpers/snapshot.js';
import { makeCtx } from '../routing/context.js';
import { chunk, completion } from '../routing/fake-adapter.js';

const OTHER_KEY = 'sk-sluice-other-key-000000000000';

function deps(): StageDeps {
  const gate: ProviderAccountGate = { tryAcquire: async () => true, settle: () => {} };
  return {
    config: {} as DataPlaneConfig,
    logger: pino({ level: 'silent' }),
    snapshots: { current: () => null, onSwap: () => {} },
    providerGate: gate,
  };
}

function snapshot(queue: Partial<Snapshot['gateway']['queue']> = {}, onExhausted: 'queue' | 'reject' = 'queue') {
  return makeSnapshot({
    keys: [keyRecord(TEST_KEY), keyRecord(OTHER_KEY, { name: 'other' })],
    routes: [route('gpt-test', { onExhausted })],
    gateway: { queue: { maxSize: 10, maxWaitMs: 10_000, resultTtlMs: 10_000, agingMsPerPriority: 1_000, ...queue } },
  });
}

const exhausted = (ms = 40) => new AllTargetsExhaustedError(ms, true, 'gpt-test');
const json = (text: string): Outcome => ({ type: 'json', status: 200, body: completion('m', text) });

/** next(): throws "exhausted" `times` times, then answers with `answer()`. */
function flaky(times: number, answer: () => Outcome, calls: string[] = [], label = ''): Next {
  let n = 0;
  return async () => {
    calls.push(label);
    if (n++ < times) throw exhausted();
    return answer();
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stages: Array<{ close?: () => Promise<void> }> = [];
function stage(opts: Parameters<typeof createQueueStage>[1] = {}, d = deps()) {
  const s = createQueueStage(d, opts);
  stages.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stages.splice(0)) await s.close?.();
});

async function poll(s: ReturnType<typeof stage>, id: string, secret = TEST_KEY, headers: Record<string, string> = {}) {
  const snap = snapshot();
  const key = Object.values(snap.keys).find((k) => k.name === (secret === TEST_KEY ? 'search-dev' : 'other'));
  if (!key) throw new Error('no key');
  const r = s.clientRoutes?.[0];
  if (!r) throw new Error('no poll route');
  return r.handler({
    rest: id,
    query: new URLSearchParams(),
    headers,
    key,
    snapshot: snap,
    signal: new AbortController().signal,
  });
}

describe('queue stage', () => {
  it('answers 202, serves the result once to the owning key, then forgets it', async () => {
    const s = stage();
    const ctx = makeCtx(snapshot());
    const settled: QueuedSettlement[] = [];
    const out = await s.run(
      ctx,
      flaky(1, () => json('queued answer')),
    );
    expect(out).toMatchObject({ type: 'json', status: 202, body: { status: 'queued' } });
    const body = (out as { body: { queue_id: string; poll_url: string; estimated_wait_seconds: number } }).body;
    expect(body.poll_url).toBe(`/v1/queue/${body.queue_id}`);
    expect(body.estimated_wait_seconds).toBeGreaterThanOrEqual(1);
    expect(ctx.meta).toMatchObject({ status: 'queued', queueId: body.queue_id });
    onQueuedSettled(ctx, (_c, st) => settled.push(st));

    const early = await poll(s, body.queue_id);
    expect(early).toMatchObject({ status: 200, body: { status: 'queued', position: 1 } });
    expect((await poll(s, body.queue_id, OTHER_KEY)).status).toBe(404);

    await sleep(150);
    expect(settled).toMatchObject([{ status: 'ok', queueId: body.queue_id }]);
    const done = await poll(s, body.queue_id);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { content: 'queued answer' } }],
    });
    const again = await poll(s, body.queue_id);
    expect(again).toMatchObject({ status: 404, body: { error: { code: 'queue_request_not_found' } } });
  });

  it('gives the queued run its own abort signal once the client has its 202', async () => {
    const s = stage();
    const client = new AbortController();
    const ctx = makeCtx(snapshot(), { signal: client.signal });
    let runSignal: AbortSignal | null = null;
    const next: Next = async () => {
      if (runSignal === null) {
        runSignal = ctx.signal;
        throw exhausted();
      }
      runSignal = ctx.signal;
      return json('ok');
    };
    await s.run(ctx, next);
    client.abort(); // the exchange is over; this must not cancel the queued run
    await sleep(150);
    expect(runSignal).not.toBe(client.signal);
    expect((runSignal as AbortSignal | null)?.aborted).toBe(false);
  });

  it('passes errors through when the route does not queue', async () => {
    const s = stage();
    const ctx = makeCtx(snapshot({}, 'reject'));
    await expect(
      s.run(
        ctx,
        flaky(1, () => json('x')),
      ),
    ).rejects.toBeInstanceOf(AllTargetsExhaustedError);
    const other = makeCtx(snapshot());
    await expect(
      s.run(other, async () => {
        throw new GatewayError(502, 'api_error', 'upstream_error', 'boom');
      }),
    ).rejects.toMatchObject({ status: 502 });
  });

  it('is bounded: a full queue answers 503 with Retry-After', async () => {
    const s = stage();
    const snap = snapshot({ maxSize: 2 });
    for (let i = 0; i < 2; i++)
      await s.run(
        makeCtx(snap),
        flaky(100, () => json('x')),
      );
    const err = await s
      .run(
        makeCtx(snap),
        flaky(100, () => json('x')),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 503, code: 'queue_full' });
    expect((err as GatewayError).headers['retry-after']).toBeDefined();
  });

  it('runs by key priority, then shorter requests, with ageing so low priorities are not starved', async () => {
    const clock = { t: 1_000_000 };
    const s = stage({ now: () => clock.t, concurrency: 1 });
    const snap = snapshot({ agingMsPerPriority: 1_000 });
    const order: string[] = [];
    const enqueue = async (label: string, priority: number, tokens: number) => {
      const ctx = makeCtx(snap);
      ctx.key = { ...(ctx.key as NonNullable<RequestContext['key']>), priority };
      ctx.meta.inputTokensEstimate = tokens;
      const next = flaky(1, () => json(label), [], label);
      await s.run(ctx, async () => {
        const r = next();
        r.then(
          () => order.push(label),
          () => {},
        );
        return r;
      });
    };
    await enqueue('old-low', 0, 500); // waits 5 s → effective priority 5
    clock.t += 5_000;
    await enqueue('high-long', 3, 900);
    await enqueue('high-short', 3, 100);
    await enqueue('mid', 2, 10);
    await enqueue('top', 9, 1_000);
    clock.t += 100; // past every job's retry time
    s.queue.wake();
    await sleep(100);
    expect(order).toEqual(['top', 'old-low', 'high-short', 'high-long', 'mid']);
  });

  it('Prefer: wait returns the answer inline when it runs in time, else the 202', async () => {
    const s = stage();
    const ctx = makeCtx(snapshot(), { headers: { prefer: 'wait=5' } });
    const out = await s.run(
      ctx,
      flaky(1, () => json('inline')),
    );
    expect(out).toMatchObject({ type: 'json', status: 200, body: { choices: [{ message: { content: 'inline' } }] } });
    expect(ctx.meta.status).toBeNull();
    expect(ctx.responseHeaders['x-sluice-queued-ms']).toBeDefined();

    const slow = makeCtx(snapshot(), { headers: { prefer: 'wait=0.1' } });
    const started = Date.now();
    const ticket = await s.run(
      slow,
      flaky(1_000, () => json('never')),
    );
    expect(ticket).toMatchObject({ status: 202, body: { status: 'queued' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('Prefer: wait keeps a queued stream a stream; a polled stream result is the assembled JSON', async () => {
    const s = stage();
    const chunks = async function* (): AsyncGenerator<ChatChunk> {
      yield chunk('m', 'Hel');
      yield chunk('m', 'lo');
      yield { ...chunk('m', ''), choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
    };
    const inline = await s.run(
      makeCtx(snapshot(), { stream: true, headers: { prefer: 'wait=5' } }),
      flaky(1, () => ({ type: 'stream', chunks: chunks() })),
    );
    expect(inline.type).toBe('stream');

    const ctx = makeCtx(snapshot(), { stream: true });
    const out = await s.run(
      ctx,
      flaky(1, () => ({ type: 'stream', chunks: chunks() })),
    );
    const id = (out as { body: { queue_id: string } }).body.queue_id;
    const polled = await poll(s, id, TEST_KEY, { prefer: 'wait=5' });
    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
    });
  });

  it('stores a failed queued run as its error, served once', async () => {
    const s = stage();
    const ctx = makeCtx(snapshot());
    const settled: QueuedSettlement[] = [];
    let n = 0;
    const out = await s.run(ctx, async () => {
      if (n++ === 0) throw exhausted();
      throw new GatewayError(502, 'api_error', 'upstream_error', 'provider exploded');
    });
    onQueuedSettled(ctx, (_c, st) => settled.push(st));
    const id = (out as { body: { queue_id: string } }).body.queue_id;
    const r = await poll(s, id, TEST_KEY, { prefer: 'wait=5' });
    expect(r).toMatchObject({ status: 502, body: { error: { code: 'upstream_error' } } });
    expect(settled[0]).toMatchObject({ status: 'error', error: { status: 502 } });
  });

  it('expires jobs after maxWaitMs with a clear 410, once', async () => {
    const s = stage();
    const ctx = makeCtx(snapshot({ maxWaitMs: 100 }));
    const out = await s.run(
      ctx,
      flaky(1_000, () => json('never')),
    );
    const id = (out as { body: { queue_id: string } }).body.queue_id;
    await sleep(250);
    expect(ctx.meta.status).toBe('queued');
    const r = await poll(s, id);
    expect(r).toMatchObject({ status: 410, body: { error: { code: 'queue_request_expired' } } });
    expect((await poll(s, id)).status).toBe(404);
  });

  it('wakes queued work as soon as a circuit leaves "open"', async () => {
    const d = deps();
    const s = stage({}, d);
    const health = routingRuntime(d).health;
    let calls = 0;
    const ctx = makeCtx(snapshot());
    await s.run(ctx, async () => {
      if (calls++ === 0) throw new AllTargetsExhaustedError(60_000, false, 'gpt-test');
      return json('recovered');
    });
    const cfg = { failureThreshold: 1, cooldownMs: 0, halfOpenProbes: 1 };
    const breaker = health.breaker({ provider: 'fake', model: 'm' }, cfg, 'gpt-test');
    breaker.failure(Date.now(), cfg, false); // open
    breaker.available(Date.now(), cfg); // cool-down 0 → half-open → recovery event
    await sleep(50);
    expect(calls).toBe(2);
  });

  it('cancels a Prefer: wait job when the client disconnects', async () => {
    const s = stage();
    const ac = new AbortController();
    const ctx = makeCtx(snapshot(), { signal: ac.signal, headers: { prefer: 'wait=10' } });
    const p = s.run(
      ctx,
      flaky(1_000, () => json('never')),
    );
    await sleep(20);
    ac.abort();
    await expect(p).rejects.toMatchObject({ status: 499 });
    expect(s.queue.size).toBe(0);
  });

  it('close() settles waiting and running jobs as aborted so accounting hears about them', async () => {
    const s = createQueueStage(deps());
    const waitingCtx = makeCtx(snapshot());
    await s.run(
      waitingCtx,
      flaky(1_000, () => json('never')),
    );
    const runningCtx = makeCtx(snapshot());
    let started = false;
    await s.run(runningCtx, async () => {
      if (!started) {
        started = true;
        throw exhausted(10);
      }
      // The queued run hangs until its (job-owned) signal aborts.
      return new Promise<Outcome>((_, reject) =>
        runningCtx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
      );
    });
    await sleep(100);
    const seen: string[] = [];
    onQueuedSettled(waitingCtx, (_c, st) => seen.push(`waiting:${st.status}`));
    onQueuedSettled(runningCtx, (_c, st) => seen.push(`running:${st.status}`));
    await s.close?.();
    expect(seen.sort()).toEqual(['running:aborted', 'waiting:aborted']);
  });
});
