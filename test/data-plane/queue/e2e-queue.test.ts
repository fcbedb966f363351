/**
 * Queueing end to end: every target rate-limited → 202 + poll → result; queue full → 503;
 * Prefer: wait; queued streams polled as JSON; results only for the key that queued them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewaySettings, RouteRecord } from '../../../common/snapshot.js';
import { type FakeServer, startFakeOpenAI } from '../../fakes/index.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { keyRecord, makeSnapshot, node, provider, route, TEST_KEY } from '../../helpers/snapshot.js';
import { chat, get } from '../routing/e2e-helpers.js';

const OTHER_KEY = 'sk-sluice-other-0123456789abcdef';
let a: FakeServer;
let dp: TestDataPlane;
let n = 0;

beforeAll(async () => {
  a = await startFakeOpenAI();
  dp = await startTestDataPlane({ snapshot: makeSnapshot({ baseUrl: a.url }) });
});
afterAll(async () => {
  await dp?.close();
  await a?.close();
});
beforeEach(() => a.reset());

function install(queue: Partial<GatewaySettings['queue']> = {}, over: Partial<RouteRecord> = {}) {
  n++;
  const snap = makeSnapshot({
    providers: [provider('a', a.url)],
    nodes: [
      node('org:acme'),
      node('team:search', { parent: 'org:acme' }),
      node('key:search-dev', { parent: 'team:search' }),
      node('key:other', { parent: 'team:search' }),
    ],
    keys: [keyRecord(TEST_KEY), keyRecord(OTHER_KEY, { name: 'other' })],
    routes: [
      route('q', {
        targets: [{ provider: 'a', model: `queued-model-${n}`, weight: 1, contextWindow: null }],
        retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 100, on: ['rate_limit', 'server_error'] },
        onExhausted: 'queue',
        ...over,
      }),
    ],
    pricing: {},
    gateway: { queue: { maxSize: 10, maxWaitMs: 20_000, resultTtlMs: 60_000, agingMsPerPriority: 1_000, ...queue } },
  });
  const r = dp.snapshots.offer(snap);
  if (!r.ok) throw new Error(`snapshot rejected: ${JSON.stringify(r)}`);
}

interface Ticket {
  status: string;
  queue_id: string;
  estimated_wait_seconds: number;
  poll_url: string;
}

describe('end to end: queue', () => {
  it('all targets rate-limited → 202 → poll → the result, once, only for its key', async () => {
    install();
    a.script({ status: 429, retryAfter: '1' }); // parks the only target for 1 s (> maxDelayMs)
    a.setBehavior({ text: 'worth the wait' });
    const r = await chat(dp.url, { model: 'q' });
    expect(r.status, r.text).toBe(202);
    const t = r.body as Ticket;
    expect(t).toMatchObject({ status: 'queued', poll_url: `/v1/queue/${t.queue_id}` });
    expect(t.estimated_wait_seconds).toBeGreaterThanOrEqual(1);

    const pending = await get(dp.url, t.poll_url);
    expect(pending.body).toMatchObject({ status: 'queued', queue_id: t.queue_id, position: 1 });
    const stranger = await get(dp.url, t.poll_url, { authorization: `Bearer ${OTHER_KEY}` });
    expect(stranger.status).toBe(404);

    const done = await get(dp.url, t.poll_url, { prefer: 'wait=10' });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { content: 'worth the wait' } }],
    });
    expect(a.requests).toHaveLength(2);
    const gone = await get(dp.url, t.poll_url);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ error: { code: 'queue_request_not_found' } });
  });

  it('a queued streaming request is polled as a JSON completion', async () => {
    install();
    a.script({ status: 429, retryAfter: '1' });
    a.setBehavior({ chunks: ['Hello', ' again'] });
    const r = await chat(dp.url, { model: 'q', stream: true });
    expect(r.status, r.text).toBe(202);
    const t = r.body as Ticket;
    const done = await get(dp.url, t.poll_url, { prefer: 'wait=10' });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: 'Hello again' }, finish_reason: 'stop' }],
    });
  });

  it('Prefer: wait holds the connection and answers inline', async () => {
    install();
    a.script({ status: 429, retryAfter: '1' });
    a.setBehavior({ text: 'inline answer' });
    const started = Date.now();
    const r = await chat(dp.url, { model: 'q' }, { prefer: 'wait=10' });
    expect(r.status, r.text).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(r.body).toMatchObject({ choices: [{ message: { content: 'inline answer' } }] });
    expect(r.headers.get('x-sluice-queued-ms')).not.toBeNull();
  });

  it('a full queue answers 503 with Retry-After', async () => {
    install({ maxSize: 1 });
    a.setBehavior({ status: 429, retryAfter: '30' });
    const first = await chat(dp.url, { model: 'q' });
    expect(first.status).toBe(202);
    const second = await chat(dp.url, { model: 'q' });
    expect(second.status).toBe(503);
    expect(second.body).toMatchObject({ error: { code: 'queue_full' } });
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('open circuit → 202; the job runs when the circuit lets a probe through', async () => {
    install(
      {},
      {
        retry: { attempts: 0, baseDelayMs: 10, maxDelayMs: 100, on: ['server_error'] },
        circuitBreaker: { failureThreshold: 1, cooldownMs: 800, halfOpenProbes: 1 },
      },
    );
    a.script({ status: 500 });
    a.setBehavior({ text: 'recovered' });
    expect((await chat(dp.url, { model: 'q' })).status).toBe(502); // opens the circuit
    const r = await chat(dp.url, { model: 'q' });
    expect(r.status, r.text).toBe(202);
    expect(a.requests).toHaveLength(1);
    const t = r.body as Ticket;
    const done = await get(dp.url, t.poll_url, { prefer: 'wait=10' });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toMatchObject({ choices: [{ message: { content: 'recovered' } }] });
  });
});
