/**
 * Fault tests through the real uWebSockets.js server against real fake OpenAI servers:
 * 5xx, 429 + Retry-After, connection resets before and during a stream, slow first token,
 * circuit opening and recovering. Each test installs its own snapshot (hot swap) with its own
 * model names so breaker state never leaks between tests.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RouteRecord } from '../../../common/snapshot.js';
import { type FakeServer, startFakeOpenAI } from '../../fakes/index.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { makeSnapshot, provider, route, TEST_KEY } from '../../helpers/snapshot.js';
import { chat, sleep, sseEvents } from './e2e-helpers.js';

let a: FakeServer;
let b: FakeServer;
let dp: TestDataPlane;
let n = 0;

beforeAll(async () => {
  [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  dp = await startTestDataPlane({ snapshot: makeSnapshot({ baseUrl: a.url }) });
});
afterAll(async () => {
  await dp?.close();
  await Promise.all([a?.close(), b?.close()]);
});
beforeEach(() => {
  a.reset();
  b.reset();
});

/** Installs route "r" → a/<primary>, fallback "backup" → b/<backup>, unique models per test. */
function install(over: Partial<RouteRecord> = {}, backup = true): { primary: string; backup: string } {
  n++;
  const primary = `model-a-${n}`;
  const second = `model-b-${n}`;
  const routes = [
    route('r', {
      targets: [{ provider: 'a', model: primary, weight: 1, contextWindow: null }],
      fallback: backup ? ['backup'] : [],
      ...over,
    }),
    route('backup', { targets: [{ provider: 'b', model: second, weight: 1, contextWindow: null }] }),
  ];
  const snap = makeSnapshot({
    providers: [provider('a', a.url), provider('b', b.url)],
    routes,
    pricing: {},
  });
  const result = dp.snapshots.offer(snap);
  if (!result.ok) throw new Error(`snapshot rejected: ${JSON.stringify(result)}`);
  return { primary, backup: second };
}

describe('end to end: upstream faults', () => {
  it('retries a 5xx and answers from the same target', async () => {
    const { primary } = install();
    a.script({ status: 500 });
    const r = await chat(dp.url, { model: 'r' });
    expect(r.status, r.text).toBe(200);
    expect(a.requests).toHaveLength(2);
    expect(b.requests).toHaveLength(0);
    expect(r.headers.get('x-sluice-attempts')).toBe('2');
    expect(r.headers.get('x-sluice-model')).toBe(primary);
    expect(r.headers.get('x-sluice-degraded')).toBe('false');
  });

  it('honours a 429 Retry-After within the route’s max delay', async () => {
    install({ retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 2_000, on: ['rate_limit'] } });
    a.script({ status: 429, retryAfter: '1' });
    const started = Date.now();
    const r = await chat(dp.url, { model: 'r' });
    expect(r.status, r.text).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(a.requests).toHaveLength(2);
  });

  it('falls back to the next route on a connection reset before the response, marked degraded', async () => {
    const { backup } = install({ retry: { attempts: 0, baseDelayMs: 10, maxDelayMs: 100, on: ['connection'] } });
    a.setBehavior({ resetBeforeResponse: true });
    const r = await chat(dp.url, { model: 'r' });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('x-sluice-provider')).toBe('b');
    expect(r.headers.get('x-sluice-model')).toBe(backup);
    expect(r.headers.get('x-sluice-degraded')).toBe('true');
    expect(r.headers.get('x-sluice-route')).toBe('backup');
    expect(r.headers.get('x-sluice-attempts')).toBe('2');
  });

  it('streams: a reset before the first chunk falls back transparently', async () => {
    install({ retry: { attempts: 0, baseDelayMs: 10, maxDelayMs: 100, on: ['connection'] } });
    a.setBehavior({ resetAfterChunks: 0 });
    b.setBehavior({ chunks: ['Hello', ' from', ' b'] });
    const r = await chat(dp.url, { model: 'r', stream: true });
    expect(r.status).toBe(200);
    const events = sseEvents(r.text);
    expect(events.at(-1), r.text).toBe('[DONE]');
    const text = events
      .filter((e): e is Record<string, unknown> => e !== '[DONE]')
      .map((e) => (e.choices as Array<{ delta: { content?: string } }>)[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('Hello from b');
    expect(r.headers.get('x-sluice-provider')).toBe('b');
  });

  it('streams: a reset after bytes were sent ends with an error event, never [DONE]', async () => {
    install();
    a.setBehavior({ chunks: ['one', ' two', ' three', ' four'], resetAfterChunks: 2, chunkDelayMs: 5 });
    const r = await chat(dp.url, { model: 'r', stream: true });
    expect(r.status).toBe(200);
    const events = sseEvents(r.text);
    expect(events).not.toContain('[DONE]');
    const last = events.at(-1) as { error?: { code?: string } };
    expect(last.error?.code).toBe('upstream_stream_error');
    expect(b.requests).toHaveLength(0); // no silent switch after the client saw content
  });

  it('streams: a slow first token times out and falls back', async () => {
    install({
      timeouts: { connectMs: 1_000, firstTokenMs: 300, totalMs: 10_000 },
      retry: { attempts: 0, baseDelayMs: 10, maxDelayMs: 100, on: ['timeout'] },
    });
    a.setBehavior({ firstChunkDelayMs: 3_000 });
    const started = Date.now();
    const r = await chat(dp.url, { model: 'r', stream: true });
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(r.headers.get('x-sluice-provider')).toBe('b');
    await a.requests[0].closed;
    expect(a.requests[0].aborted).toBe(true);
  });

  it('non-stream: a slow answer hits the first-token timeout → 504 without fallback', async () => {
    install(
      {
        timeouts: { connectMs: 1_000, firstTokenMs: 300, totalMs: 10_000 },
        retry: { attempts: 0, baseDelayMs: 10, maxDelayMs: 100, on: ['timeout'] },
      },
      false,
    );
    a.setBehavior({ headersDelayMs: 3_000 });
    const r = await chat(dp.url, { model: 'r' });
    expect(r.status).toBe(504);
    expect(r.body).toMatchObject({ error: { code: 'upstream_timeout' } });
  });

  it('passes a provider 400 through without retrying', async () => {
    install();
    a.setBehavior({ status: 400, errorMessage: "Invalid value for 'temperature'" });
    const r = await chat(dp.url, { model: 'r' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { message: expect.stringContaining('temperature') } });
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(0);
  });

  it('opens the circuit after repeated failures, then a probe closes it again', async () => {
    install(
      {
        retry: { attempts: 0, baseDelayMs: 10, maxDelayMs: 100, on: ['server_error'] },
        circuitBreaker: { failureThreshold: 2, cooldownMs: 500, halfOpenProbes: 1 },
      },
      false,
    );
    a.setBehavior({ status: 503 });
    expect((await chat(dp.url, { model: 'r' })).status).toBe(502);
    expect((await chat(dp.url, { model: 'r' })).status).toBe(502);
    const open = await chat(dp.url, { model: 'r' });
    expect(open.status).toBe(503);
    expect(open.body).toMatchObject({ error: { code: 'all_targets_exhausted' } });
    expect(open.headers.get('retry-after')).toBe('1');
    expect(a.requests).toHaveLength(2); // the open circuit kept traffic away
    const metrics = await (await fetch(`${dp.url}/metrics`)).text();
    expect(metrics).toMatch(/sluice_circuit_state\{[^}]*provider="a"[^}]*\} 2/);
    await sleep(600);
    a.setBehavior({ status: undefined });
    a.reset();
    const probe = await chat(dp.url, { model: 'r' });
    expect(probe.status, probe.text).toBe(200);
    expect((await chat(dp.url, { model: 'r' })).status).toBe(200);
    expect(a.requests).toHaveLength(2);
  });

  it('a client that disconnects mid-stream aborts the upstream request', async () => {
    install();
    a.setBehavior({ chunks: Array.from({ length: 50 }, (_, i) => `w${i} `), chunkDelayMs: 50 });
    const ac = new AbortController();
    const res = await fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
      body: JSON.stringify({ model: 'r', stream: true, messages: [{ role: 'user', content: 'long' }] }),
      signal: ac.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    ac.abort();
    await a.requests[0].closed;
    expect(a.requests[0].aborted).toBe(true);
    expect(b.requests).toHaveLength(0);
  });
});
