import { spawnSync } from 'node:child_process';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { keyRecord, makeSnapshot, node, route, TEST_ADMIN_TOKEN, TEST_KEY } from '../../helpers/snapshot.js';
import { AUTH, chatBody, scripted, testPipeline } from './fixtures.js';

const NARROW = 'sk-narrow-key-00000000000000';
const snapshot = makeSnapshot({
  nodes: [
    node('org:acme'),
    node('team:search', { parent: 'org:acme' }),
    node('key:search-dev', { parent: 'team:search' }),
    node('key:narrow', { parent: 'team:search' }),
  ],
  keys: [keyRecord(TEST_KEY), keyRecord(NARROW, { name: 'narrow', allowedRoutes: ['gpt-test', 'embed-test'] })],
  routes: [
    route('gpt-test'),
    route('gpt-big'),
    route('embed-test', {
      kind: 'embeddings',
      targets: [{ provider: 'fake', model: 'e', weight: 1, contextWindow: null }],
    }),
  ],
});

let dp: TestDataPlane;
let empty: TestDataPlane;
const adminCalls: Array<{ body: unknown; q: string }> = [];

beforeAll(async () => {
  const pipeline = testPipeline(scripted(), {
    adminRoutes: [
      {
        method: 'POST',
        path: '/admin/test/echo',
        handler: async (req) => {
          adminCalls.push({ body: req.body, q: req.query.toString() });
          return { status: 200, body: { echoed: req.body, snapshot: req.snapshot.version } };
        },
      },
      {
        method: 'GET',
        path: '/admin/test/text',
        handler: async () => ({ status: 200, body: 'plain text here\n', contentType: 'text/plain' }),
      },
    ],
    clientRoutes: [
      {
        method: 'GET',
        pathPrefix: '/v1/test-queue/',
        handler: async (req) => ({ status: 200, body: { rest: req.rest, key: req.key.name, q: req.query.get('x') } }),
      },
    ],
  });
  dp = await startTestDataPlane({ snapshot, pipeline });
  empty = await startTestDataPlane({ pipeline: testPipeline(scripted()) });
});
afterAll(async () => {
  await dp.close();
  await empty.close();
});

describe('health, readiness, metrics', () => {
  it('/healthz is 200 even without a snapshot', async () => {
    expect((await fetch(`${empty.url}/healthz`)).status).toBe(200);
  });

  it('/readyz is 503 until a snapshot is loaded, then 200 with its version', async () => {
    const before = await fetch(`${empty.url}/readyz`);
    expect(before.status).toBe(503);
    const denied = await fetch(`${empty.url}/v1/chat/completions`, { method: 'POST', headers: AUTH, body: chatBody() });
    expect(denied.status).toBe(503);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('not_ready');
    const s = makeSnapshot();
    expect(empty.snapshots.offer(s)).toMatchObject({ ok: true, changed: true });
    const after = await fetch(`${empty.url}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ready', snapshot: s.version });
  });

  it('/metrics serves Prometheus text with the request, latency, TTFT, upstream, circuit and queue metrics', async () => {
    await fetch(`${dp.url}/v1/chat/completions`, { method: 'POST', headers: AUTH, body: chatBody({ stream: true }) });
    const res = await fetch(`${dp.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const name of [
      'sluice_requests_total',
      'sluice_request_duration_seconds_bucket',
      'sluice_time_to_first_token_seconds_bucket',
      'sluice_upstream_errors_total',
      'sluice_circuit_state',
      'sluice_queue_depth',
      'sluice_snapshot_info',
      'sluice_requests_in_flight',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(
      /sluice_requests_total\{endpoint="chat",route="gpt-test",status="200",outcome="ok",cache="off"\} \d+/,
    );
    expect(text).toMatch(/sluice_time_to_first_token_seconds_count\{route="gpt-test"\} [1-9]/);
  });
});

describe('/v1/models', () => {
  it('lists only the routes the key may call, in the OpenAI list shape', async () => {
    const all = (await (await fetch(`${dp.url}/v1/models`, { headers: AUTH })).json()) as {
      object: string;
      data: Array<{ id: string; object: string }>;
    };
    expect(all.object).toBe('list');
    expect(all.data.map((m) => m.id).sort()).toEqual(['embed-test', 'gpt-big', 'gpt-test']);
    expect(all.data.every((m) => m.object === 'model')).toBe(true);
    const narrow = (await (
      await fetch(`${dp.url}/v1/models`, { headers: { authorization: `Bearer ${NARROW}` } })
    ).json()) as {
      data: Array<{ id: string }>;
    };
    expect(narrow.data.map((m) => m.id).sort()).toEqual(['embed-test', 'gpt-test']);
  });

  it('needs a valid key', async () => {
    expect((await fetch(`${dp.url}/v1/models`)).status).toBe(401);
  });
});

describe('stage-contributed routes', () => {
  const echo = (headers: Record<string, string>) =>
    fetch(`${dp.url}/admin/test/echo?a=1`, { method: 'POST', headers, body: JSON.stringify({ hello: 'world' }) });

  it('admin routes need the admin token, not a virtual key', async () => {
    expect((await echo({})).status).toBe(401);
    expect((await echo({ authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await echo({ authorization: `Bearer ${TEST_KEY}` })).status).toBe(401);
    expect(adminCalls).toHaveLength(0);
    const ok = await echo({ authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ echoed: { hello: 'world' }, snapshot: snapshot.version });
    expect(adminCalls).toEqual([{ body: { hello: 'world' }, q: 'a=1' }]);
  });

  it('admin routes may answer plain text', async () => {
    const res = await fetch(`${dp.url}/admin/test/text`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('plain text here\n');
  });

  it('client routes are matched by prefix and authenticated by the virtual key', async () => {
    expect((await fetch(`${dp.url}/v1/test-queue/abc`)).status).toBe(401);
    const res = await fetch(`${dp.url}/v1/test-queue/abc?x=9`, { headers: AUTH });
    expect(await res.json()).toEqual({ rest: 'abc', key: 'search-dev', q: '9' });
  });
});

describe('uWebSockets.js native check', () => {
  it('refuses to start on the slow fallback', () => {
    const script =
      "import('./data-plane/server/uws.ts').then((m) => { m.assertNativeUws(); console.log('STARTED'); })" +
      '.catch((e) => { console.log(e.name); process.exit(3); })';
    const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      env: { ...process.env, UWS_USE_FALLBACK: '1' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(out.stdout).toContain('UwsFallbackError');
    expect(out.stdout).not.toContain('STARTED');
    expect(out.status).toBe(3);
  });
});

describe('request log', () => {
  it('writes one structured line per request, without prompt contents or secrets', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const logged = await startTestDataPlane({ snapshot, pipeline: testPipeline(scripted()), logger });
    try {
      const res = await fetch(`${logged.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...AUTH, 'x-request-id': 'log-test-1' },
        body: chatBody({ messages: [{ role: 'user', content: 'TOP-SECRET-PROMPT' }], stream: true }),
      });
      await res.text();
      await fetch(`${logged.url}/v1/chat/completions`, {
        method: 'POST',
        headers: AUTH,
        body: chatBody({ model: 'nope' }),
      });
      const requests = lines.filter((l) => l.msg === 'request');
      expect(requests).toHaveLength(2);
      expect(requests[0]).toMatchObject({
        reqId: 'log-test-1',
        endpoint: 'chat',
        key: 'search-dev',
        team: 'search',
        route: 'gpt-test',
        status: 200,
        outcome: 'ok',
        stream: true,
        snapshot: snapshot.version,
      });
      expect(typeof requests[0].latencyMs).toBe('number');
      expect(typeof requests[0].ttftMs).toBe('number');
      expect(requests[1]).toMatchObject({ status: 404, outcome: 'error', errorCode: 'model_not_found' });
      const all = JSON.stringify(lines);
      expect(all).not.toContain('TOP-SECRET-PROMPT');
      expect(all).not.toContain(TEST_KEY);
    } finally {
      await logged.close();
    }
  });
});
