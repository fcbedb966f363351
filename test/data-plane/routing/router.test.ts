import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../../common/openai-types.js';
import { GatewayError } from '../../../data-plane/errors.js';
import { AllTargetsExhaustedError } from '../../../data-plane/routing/errors.js';
import { makeSnapshot, provider, route } from '../../helpers/snapshot.js';
import { collect, makeCtx } from './context.js';
import { harness } from './harness.js';

const providers = [provider('a', 'http://a'), provider('b', 'http://b'), provider('c', 'http://c')];
const t = (p: string, model: string, weight = 1, contextWindow: number | null = 128_000) => ({
  provider: p,
  model,
  weight,
  contextWindow,
});

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected a failure');
}

describe('router: target choice', () => {
  it('splits traffic by weight (seeded RNG, 4000 draws)', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1', 3), t('b', 'm2', 1)] })] });
    const h = harness({ seed: 7 });
    for (let i = 0; i < 4000; i++) await h.router.handle(makeCtx(snap));
    const a = h.adapter.calls.filter((c) => c.target === 'a/m1').length;
    expect(a / 4000).toBeGreaterThan(0.72);
    expect(a / 4000).toBeLessThan(0.78);
  });

  it('never picks a zero-weight target and skips targets the provider gate refuses', async () => {
    const snap = makeSnapshot({
      providers,
      routes: [route('r', { targets: [t('a', 'm1', 5), t('b', 'm2', 0), t('c', 'm3', 1)] })],
    });
    const h = harness({ refuse: new Set(['a']) });
    for (let i = 0; i < 50; i++) await h.router.handle(makeCtx(snap));
    expect(new Set(h.adapter.calls.map((c) => c.target))).toEqual(new Set(['c/m3']));
  });

  it('settles the provider gate with the real token count', async () => {
    const snap = makeSnapshot({
      providers,
      routes: [route('r', { targets: [t('a', 'm1')], defaultMaxOutputTokens: 100 })],
    });
    const h = harness();
    const ctx = makeCtx(snap);
    await h.router.handle(ctx);
    const acquire = h.gateCalls.find((c) => c.op === 'acquire');
    const settle = h.gateCalls.find((c) => c.op === 'settle');
    expect(acquire?.tokens).toBeGreaterThan(100);
    expect(settle).toMatchObject({ provider: 'a', tokens: acquire?.tokens, actual: 8 });
  });

  it('records who answered in meta and headers', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1')] })] });
    const h = harness();
    const ctx = makeCtx(snap);
    const out = await h.router.handle(ctx);
    expect(out).toMatchObject({ type: 'json', status: 200 });
    expect(ctx.meta).toMatchObject({ provider: 'a', upstreamModel: 'm1', attempts: 1, degraded: false });
    expect(ctx.meta.usage).toMatchObject({ promptTokens: 5, outputTokens: 3 });
    expect(ctx.meta.firstTokenAt).not.toBeNull();
    expect(ctx.responseHeaders).toMatchObject({
      'x-sluice-provider': 'a',
      'x-sluice-model': 'm1',
      'x-sluice-attempts': '1',
      'x-sluice-degraded': 'false',
      'x-sluice-route': 'r',
    });
  });
});

describe('router: retries', () => {
  it('retries the same target with exponential backoff + full jitter, then gives up with 502', async () => {
    const retry = { attempts: 3, baseDelayMs: 100, maxDelayMs: 250, on: ['server_error' as const] };
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1')], retry })] });
    const h = harness();
    h.adapter.script('a/m1', { fail: 'server_error', status: 500 });
    const ctx = makeCtx(snap);
    const err = await failure(h.router.handle(ctx));
    expect(err.status).toBe(502);
    expect(err.code).toBe('upstream_error');
    expect(h.adapter.calls).toHaveLength(4);
    expect(h.sleeps).toHaveLength(3);
    const ceilings = [100, 200, 250];
    h.sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(ceilings[i]);
    });
    expect(ctx.responseHeaders['x-sluice-attempts']).toBe('4');
  });

  it('switches to an untried target without waiting, and succeeds', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1', 1000), t('b', 'm1', 1)] })] });
    const h = harness();
    h.adapter.script('a/m1', { fail: 'connection' });
    const ctx = makeCtx(snap);
    await h.router.handle(ctx);
    expect(h.adapter.calls.map((c) => c.target)).toEqual(['a/m1', 'b/m1']);
    expect(h.sleeps).toEqual([]);
    expect(ctx.meta.attempts).toBe(2);
    expect(ctx.meta.degraded).toBe(false); // same model from another provider
  });

  it('honours a Retry-After larger than the jittered backoff', async () => {
    const retry = { attempts: 2, baseDelayMs: 10, maxDelayMs: 1_000, on: ['rate_limit' as const] };
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1')], retry })] });
    const h = harness();
    h.adapter.script('a/m1', { fail: 'rate_limit', status: 429, retryAfterMs: 700 }, { ok: 'fine' });
    await h.router.handle(makeCtx(snap));
    expect(h.sleeps).toEqual([700]);
    expect(h.adapter.calls).toHaveLength(2);
  });

  it('parks a target whose Retry-After exceeds maxDelayMs and reports exhaustion with that wait', async () => {
    const retry = { attempts: 2, baseDelayMs: 10, maxDelayMs: 1_000, on: ['rate_limit' as const] };
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1')], retry })] });
    const h = harness();
    h.adapter.script('a/m1', { fail: 'rate_limit', status: 429, retryAfterMs: 20_000 });
    const err = await failure(h.router.handle(makeCtx(snap)));
    expect(err).toBeInstanceOf(AllTargetsExhaustedError);
    expect(err.status).toBe(429);
    expect(err.headers['retry-after']).toBe('20');
    expect(h.sleeps).toEqual([]);
    expect(h.adapter.calls).toHaveLength(1);
    // The next request does not even try the parked target.
    const again = await failure(h.router.handle(makeCtx(snap)));
    expect(again).toBeInstanceOf(AllTargetsExhaustedError);
    expect(h.adapter.calls).toHaveLength(1);
  });

  it('does not retry bad_request and passes the provider message as a 400', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1'), t('b', 'm2')] })] });
    const h = harness();
    h.adapter.script('a/m1', { fail: 'bad_request', status: 400, message: "'temperature' must be <= 2" });
    h.adapter.script('b/m2', { fail: 'bad_request', status: 400, message: "'temperature' must be <= 2" });
    const err = await failure(h.router.handle(makeCtx(snap)));
    expect(err.status).toBe(400);
    expect(err.message).toBe("'temperature' must be <= 2");
    expect(h.adapter.calls).toHaveLength(1);
  });

  it('does not retry kinds missing from retry.on', async () => {
    const retry = { attempts: 3, baseDelayMs: 10, maxDelayMs: 100, on: ['rate_limit' as const] };
    const snap = makeSnapshot({
      providers,
      routes: [
        route('r', { targets: [t('a', 'm1')], retry, fallback: ['f'] }),
        route('f', { targets: [t('b', 'm2')] }),
      ],
    });
    const h = harness();
    h.adapter.script('a/m1', { fail: 'timeout' });
    const err = await failure(h.router.handle(makeCtx(snap)));
    expect(err.status).toBe(504);
    expect(h.adapter.calls).toHaveLength(1);
  });

  it('maps a provider auth failure to 502 and tries the other target', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1', 100), t('b', 'm1', 1)] })] });
    const h = harness();
    h.adapter.script('a/m1', { fail: 'auth', status: 401 });
    h.adapter.script('b/m1', { fail: 'auth', status: 401 });
    const err = await failure(h.router.handle(makeCtx(snap)));
    expect(err.status).toBe(502);
    expect(err.code).toBe('upstream_auth_error');
    expect(h.adapter.calls.map((c) => c.target)).toEqual(['a/m1', 'b/m1']);
  });

  it('stops retrying when the client aborts during backoff', async () => {
    const retry = { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000, on: ['server_error' as const] };
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1')], retry })] });
    const h = harness({ defaultSleep: true, seed: 3 });
    h.adapter.script('a/m1', { fail: 'server_error', status: 503 });
    const ac = new AbortController();
    const p = h.router.handle(makeCtx(snap, { signal: ac.signal }));
    setTimeout(() => ac.abort(), 30);
    const started = Date.now();
    const err = await failure(p);
    expect(err.status).toBe(499);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(h.adapter.calls).toHaveLength(1);
  });
});

describe('router: fallback', () => {
  it('walks the fallback routes in order and marks a different model as degraded', async () => {
    const snap = makeSnapshot({
      providers,
      routes: [
        route('r', { targets: [t('a', 'big')], fallback: ['f1', 'f2'], retry: { ...route('x').retry, attempts: 0 } }),
        route('f1', { targets: [t('b', 'mid')], retry: { ...route('x').retry, attempts: 0 } }),
        route('f2', { targets: [t('c', 'small')] }),
      ],
    });
    const h = harness();
    h.adapter.script('a/big', { fail: 'server_error', status: 500 });
    h.adapter.script('b/mid', { fail: 'timeout' });
    const ctx = makeCtx(snap);
    await h.router.handle(ctx);
    expect(h.adapter.calls.map((c) => c.target)).toEqual(['a/big', 'b/mid', 'c/small']);
    expect(ctx.meta).toMatchObject({ provider: 'c', upstreamModel: 'small', attempts: 3, degraded: true });
    expect(ctx.responseHeaders).toMatchObject({ 'x-sluice-degraded': 'true', 'x-sluice-route': 'f2' });
  });

  it('switches to the context-window fallback route on context_length', async () => {
    const snap = makeSnapshot({
      providers,
      routes: [
        route('r', { targets: [t('a', 'small')], contextWindowFallback: 'long', fallback: ['other'] }),
        route('long', { targets: [t('b', 'long-ctx', 1, 1_000_000)] }),
        route('other', { targets: [t('c', 'x')] }),
      ],
    });
    const h = harness();
    h.adapter.script('a/small', { fail: 'context_length', status: 400 });
    const ctx = makeCtx(snap);
    await h.router.handle(ctx);
    expect(h.adapter.calls.map((c) => c.target)).toEqual(['a/small', 'b/long-ctx']);
    expect(ctx.meta.degraded).toBe(true);
  });

  it('skips targets whose known context window is too small without calling them', async () => {
    const snap = makeSnapshot({
      providers,
      routes: [
        route('r', { targets: [t('a', 'tiny', 1, 10)], contextWindowFallback: 'long' }),
        route('long', { targets: [t('b', 'long-ctx', 1, 1_000_000)] }),
      ],
    });
    const h = harness();
    await h.router.handle(makeCtx(snap, { body: { messages: [{ role: 'user', content: 'x'.repeat(400) }] } }));
    expect(h.adapter.calls.map((c) => c.target)).toEqual(['b/long-ctx']);
  });

  it('answers 400 context_length_exceeded when no context-window fallback exists', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'small')] })] });
    const h = harness();
    h.adapter.script('a/small', { fail: 'context_length', status: 400 });
    const err = await failure(h.router.handle(makeCtx(snap)));
    expect(err.status).toBe(400);
    expect(err.code).toBe('context_length_exceeded');
  });

  it('routes embeddings through the same router', async () => {
    const snap = makeSnapshot({
      providers,
      routes: [route('emb', { kind: 'embeddings', targets: [t('a', 'e1'), t('b', 'e2')] })],
    });
    const h = harness();
    h.adapter.script('a/e1', { fail: 'server_error' });
    const ctx = makeCtx(snap, { endpoint: 'embeddings', body: { model: 'emb', input: 'hello world' } });
    const out = await h.router.handle(ctx);
    expect(out).toMatchObject({ type: 'json', status: 200, body: { object: 'list' } });
    expect(ctx.meta).toMatchObject({ provider: 'b', upstreamModel: 'e2' });
    expect(ctx.meta.usage?.promptTokens).toBe(4);
  });
});

describe('router: circuit breaker', () => {
  const cb = { failureThreshold: 2, cooldownMs: 5_000, halfOpenProbes: 1 };
  const noRetry = { attempts: 0, baseDelayMs: 10, maxDelayMs: 100, on: ['server_error' as const] };

  it('opens after the threshold, probes once after the cool-down, closes on success', async () => {
    const snap = makeSnapshot({
      providers,
      routes: [route('r', { targets: [t('a', 'm1')], circuitBreaker: cb, retry: noRetry })],
    });
    const h = harness();
    h.adapter.script('a/m1', { fail: 'server_error' }, { fail: 'server_error' }, { ok: 'back' });
    await failure(h.router.handle(makeCtx(snap)));
    await failure(h.router.handle(makeCtx(snap)));
    expect(h.health.states()[0]).toMatchObject({ state: 'open', consecutiveFailures: 2 });
    const open = await failure(h.router.handle(makeCtx(snap)));
    expect(open).toBeInstanceOf(AllTargetsExhaustedError);
    expect(open.status).toBe(503);
    expect(open.headers['retry-after']).toBe('5');
    expect(h.adapter.calls).toHaveLength(2);
    h.clock.t += 5_000;
    expect(h.health.states()[0].state).toBe('half_open');
    await h.router.handle(makeCtx(snap));
    expect(h.adapter.calls).toHaveLength(3);
    expect(h.health.states()[0].state).toBe('closed');
  });

  it('re-opens when the half-open probe fails, and admits only halfOpenProbes probes at once', async () => {
    const snap = makeSnapshot({
      providers,
      routes: [route('r', { targets: [t('a', 'm1')], circuitBreaker: cb, retry: noRetry })],
    });
    const h = harness();
    h.adapter.script(
      'a/m1',
      { fail: 'server_error' },
      { fail: 'server_error' },
      { fail: 'server_error' },
      { hang: true },
    );
    await failure(h.router.handle(makeCtx(snap)));
    await failure(h.router.handle(makeCtx(snap)));
    h.clock.t += 5_000;
    await failure(h.router.handle(makeCtx(snap))); // the probe fails
    expect(h.health.states()[0].state).toBe('open');
    h.clock.t += 5_000;
    const ac = new AbortController();
    const probe = h.router.handle(makeCtx(snap, { signal: ac.signal })); // hangs: probe slot taken
    await new Promise((r) => setTimeout(r, 10));
    const second = await failure(h.router.handle(makeCtx(snap)));
    expect(second).toBeInstanceOf(AllTargetsExhaustedError);
    ac.abort();
    expect((await failure(probe)).status).toBe(499);
    expect(h.adapter.calls).toHaveLength(4);
  });

  it('does not count rate limits or bad requests against the circuit', async () => {
    const snap = makeSnapshot({
      providers,
      routes: [route('r', { targets: [t('a', 'm1')], circuitBreaker: cb, retry: noRetry })],
    });
    const h = harness();
    h.adapter.script('a/m1', { fail: 'bad_request' }, { fail: 'rate_limit' }, { fail: 'bad_request' }, { ok: 'x' });
    for (let i = 0; i < 3; i++) await failure(h.router.handle(makeCtx(snap)));
    expect(h.health.states()[0].state).toBe('closed');
  });
});

describe('router: streaming', () => {
  it('streams from the first target when it works', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1')] })] });
    const h = harness();
    h.adapter.script('a/m1', { stream: ['Hel', 'lo'] });
    const ctx = makeCtx(snap, { stream: true });
    const out = await h.router.handle(ctx);
    if (out.type !== 'stream') throw new Error('expected a stream');
    const chunks = await collect(out.chunks);
    expect(chunks.map((c) => c.choices[0].delta.content)).toEqual(['Hel', 'lo']);
    expect(ctx.meta.usage).toMatchObject({ outputTokens: 2 });
    expect(h.gateCalls.at(-1)).toMatchObject({ op: 'settle', actual: 7 });
  });

  it('falls back transparently when the stream fails before its first chunk', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1', 100), t('b', 'm2', 1)] })] });
    const h = harness();
    h.adapter.script('a/m1', { stream: ['never'], failAfter: 0 });
    h.adapter.script('b/m2', { stream: ['from', ' b'] });
    const ctx = makeCtx(snap, { stream: true });
    const out = await h.router.handle(ctx);
    if (out.type !== 'stream') throw new Error('expected a stream');
    const chunks = await collect(out.chunks);
    expect(chunks.map((c) => c.choices[0].delta.content)).toEqual(['from', ' b']);
    expect(ctx.meta).toMatchObject({ provider: 'b', attempts: 2, degraded: true });
  });

  it('treats a slow first token as a timeout and falls back', async () => {
    const timeouts = { connectMs: 1_000, firstTokenMs: 50, totalMs: 5_000 };
    const snap = makeSnapshot({
      providers,
      routes: [route('r', { targets: [t('a', 'm1', 100), t('b', 'm1', 1)], timeouts })],
    });
    const h = harness();
    h.adapter.script('a/m1', { stream: ['slow'], firstChunkDelayMs: 2_000 });
    h.adapter.script('b/m1', { stream: ['quick'] });
    const started = Date.now();
    const out = await h.router.handle(makeCtx(snap, { stream: true }));
    if (out.type !== 'stream') throw new Error('expected a stream');
    expect((await collect(out.chunks)).map((c) => c.choices[0].delta.content)).toEqual(['quick']);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('ends with a GatewayError from the iterator after a mid-stream failure, usage still recorded', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1'), t('b', 'm2')] })] });
    const h = harness();
    h.adapter.script('a/m1', { stream: ['one', 'two', 'three'], failAfter: 2 });
    h.adapter.script('b/m2', { stream: ['one', 'two', 'three'], failAfter: 2 });
    const ctx = makeCtx(snap, { stream: true });
    const out = await h.router.handle(ctx);
    if (out.type !== 'stream') throw new Error('expected a stream');
    const got: ChatChunk[] = [];
    let thrown: unknown = null;
    try {
      for await (const c of out.chunks) got.push(c);
    } catch (err) {
      thrown = err;
    }
    expect(got).toHaveLength(2);
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).code).toBe('upstream_stream_error');
    expect(ctx.meta.usage).toMatchObject({ outputTokens: 2 });
    expect(h.adapter.calls).toHaveLength(1); // no silent retry after bytes were sent
  });

  it('records usage and closes the upstream when the client stops reading', async () => {
    const snap = makeSnapshot({ providers, routes: [route('r', { targets: [t('a', 'm1')] })] });
    const h = harness();
    h.adapter.script('a/m1', { stream: ['a', 'b', 'c', 'd'] });
    const ctx = makeCtx(snap, { stream: true });
    const out = await h.router.handle(ctx);
    if (out.type !== 'stream') throw new Error('expected a stream');
    for await (const c of out.chunks) {
      if (c.choices[0].delta.content === 'b') break;
    }
    expect(ctx.meta.usage).toMatchObject({ outputTokens: 2 });
    await new Promise((r) => setTimeout(r, 0));
    expect(h.adapter.closedEarly).toBe(1);
    expect(h.health.states()[0].state).toBe('closed');
  });
});
