import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../data-plane/errors.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { keyRecord, makeSnapshot, node, route, TEST_KEY } from '../../helpers/snapshot.js';
import { AUTH, chatBody, scripted, type TestPipeline, testPipeline } from './fixtures.js';

const EXPIRED = 'sk-expired-key-000000000000';
const DISABLED = 'sk-disabled-key-00000000000';
const REVOKED = 'sk-revoked-key-000000000000';
const LIMITED = 'sk-limited-key-000000000000';

const snapshot = makeSnapshot({
  gateway: { maxBodyBytes: 4096 },
  nodes: [
    node('org:acme'),
    node('team:search', { parent: 'org:acme' }),
    ...['search-dev', 'old', 'off', 'gone', 'narrow'].map((n) => node(`key:${n}`, { parent: 'team:search' })),
  ],
  keys: [
    keyRecord(TEST_KEY),
    keyRecord(EXPIRED, { name: 'old', expiresAt: Date.now() - 1000 }),
    keyRecord(DISABLED, { name: 'off', status: 'disabled' }),
    keyRecord(REVOKED, { name: 'gone', status: 'revoked' }),
    keyRecord(LIMITED, { name: 'narrow', allowedRoutes: ['gpt-test'] }),
  ],
  routes: [
    route('gpt-test'),
    route('gpt-big'),
    route('embed-test', {
      kind: 'embeddings',
      targets: [{ provider: 'fake', model: 'emb', weight: 1, contextWindow: null }],
    }),
  ],
});

let dp: TestDataPlane;
let pipeline: TestPipeline;
const boom = { fail: null as unknown };

beforeAll(async () => {
  const ok = scripted();
  pipeline = testPipeline(async (ctx) => {
    if (boom.fail) throw boom.fail;
    return ok(ctx);
  });
  dp = await startTestDataPlane({ snapshot, pipeline });
});
afterAll(() => dp.close());

const post = (path: string, body: string, headers: Record<string, string> = AUTH) =>
  fetch(`${dp.url}${path}`, { method: 'POST', headers, body });

async function expectError(res: Response, status: number, code: string | null, param?: string | null) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = (await res.json()) as {
    error: { code: string | null; param: string | null; type: string; message: string };
  };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(typeof body.error.type).toBe('string');
  if (param !== undefined) expect(body.error.param).toBe(param);
  return body.error;
}

describe('request validation', () => {
  it('answers malformed JSON with 400 invalid_json', async () => {
    await expectError(await post('/v1/chat/completions', '{"model": "gpt-test", '), 400, 'invalid_json');
  });

  it('names the offending param for shape errors', async () => {
    await expectError(
      await post('/v1/chat/completions', JSON.stringify({ messages: [] })),
      400,
      'invalid_value',
      'model',
    );
    await expectError(
      await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-test', messages: [] })),
      400,
      'invalid_value',
      'messages',
    );
    await expectError(
      await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-test', messages: [{ content: 'x' }] })),
      400,
      'invalid_value',
      'messages[0].role',
    );
    await expectError(
      await post('/v1/embeddings', JSON.stringify({ model: 'embed-test' })),
      400,
      'invalid_value',
      'input',
    );
    await expectError(await post('/v1/chat/completions', '[1,2]'), 400, 'invalid_request_body');
  });

  it('refuses a body over maxBodyBytes with 413 (declared length)', async () => {
    const big = chatBody({ pad: 'x'.repeat(5000) });
    await expectError(await post('/v1/chat/completions', big), 413, 'request_too_large');
  });

  it('refuses a chunked body as soon as it passes the cap, without waiting for the rest', async () => {
    const status = await new Promise<string>((resolve, reject) => {
      const sock = connect(dp.port, '127.0.0.1', () => {
        sock.write(
          'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n' +
            `Authorization: Bearer ${TEST_KEY}\r\nContent-Type: application/json\r\n\r\n`,
        );
        // 5 KiB in one chunk, then hold the connection open: the 413 must arrive without the end.
        const data = 'x'.repeat(5000);
        sock.write(`${data.length.toString(16)}\r\n${data}\r\n`);
      });
      let got = '';
      sock.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n\r\n')) {
          resolve(got.split('\r\n')[0]);
          sock.destroy();
        }
      });
      sock.on('error', reject);
      setTimeout(() => reject(new Error('no response before the body ended')), 3000);
    });
    expect(status).toBe('HTTP/1.1 413 Payload Too Large');
  });
});

describe('authentication and authorization', () => {
  it('401 missing_api_key without a key', async () => {
    await expectError(
      await post('/v1/chat/completions', chatBody(), { 'content-type': 'application/json' }),
      401,
      'missing_api_key',
    );
  });

  it('401 invalid_api_key for an unknown key, via Bearer or x-api-key', async () => {
    await expectError(
      await post('/v1/chat/completions', chatBody(), { authorization: 'Bearer sk-nope' }),
      401,
      'invalid_api_key',
    );
    await expectError(
      await post('/v1/chat/completions', chatBody(), { 'x-api-key': 'sk-nope' }),
      401,
      'invalid_api_key',
    );
  });

  it('accepts the key through x-api-key too', async () => {
    const res = await post('/v1/chat/completions', chatBody(), { 'x-api-key': TEST_KEY });
    expect(res.status).toBe(200);
  });

  it('distinct 401 codes for expired, disabled and revoked keys', async () => {
    await expectError(
      await post('/v1/chat/completions', chatBody(), { authorization: `Bearer ${EXPIRED}` }),
      401,
      'key_expired',
    );
    await expectError(
      await post('/v1/chat/completions', chatBody(), { authorization: `Bearer ${DISABLED}` }),
      401,
      'key_disabled',
    );
    await expectError(
      await post('/v1/chat/completions', chatBody(), { authorization: `Bearer ${REVOKED}` }),
      401,
      'key_revoked',
    );
  });

  it('404 model_not_found with param model for an unknown route', async () => {
    await expectError(await post('/v1/chat/completions', chatBody({ model: 'nope' })), 404, 'model_not_found', 'model');
  });

  it('403 when the key may not use the route', async () => {
    const ok = await post('/v1/chat/completions', chatBody(), { authorization: `Bearer ${LIMITED}` });
    expect(ok.status).toBe(200);
    await expectError(
      await post('/v1/chat/completions', chatBody({ model: 'gpt-big' }), { authorization: `Bearer ${LIMITED}` }),
      403,
      'route_not_allowed',
    );
  });

  it('400 when the endpoint and the route kind disagree', async () => {
    await expectError(
      await post('/v1/embeddings', JSON.stringify({ model: 'gpt-test', input: 'x' })),
      400,
      'wrong_model_kind',
      'model',
    );
    await expectError(
      await post('/v1/chat/completions', chatBody({ model: 'embed-test' })),
      400,
      'wrong_model_kind',
      'model',
    );
  });

  it('pins the key and route on the context', async () => {
    pipeline.seen.length = 0;
    await post('/v1/chat/completions', chatBody());
    expect(pipeline.seen[0].key?.name).toBe('search-dev');
    expect(pipeline.seen[0].route?.name).toBe('gpt-test');
    expect(pipeline.seen[0].snapshot.version).toBe(snapshot.version);
  });
});

describe('request ids and error rendering', () => {
  it('sets x-request-id on every response, honouring a sane incoming one', async () => {
    const a = await fetch(`${dp.url}/healthz`);
    const b = await fetch(`${dp.url}/healthz`);
    expect(a.headers.get('x-request-id')).toMatch(/^req_/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
    const mine = await post('/v1/chat/completions', chatBody(), { ...AUTH, 'x-request-id': 'client-abc.123' });
    expect(mine.headers.get('x-request-id')).toBe('client-abc.123');
    const bad = await post('/v1/chat/completions', '{', { ...AUTH, 'x-request-id': 'bad id with spaces' });
    expect(bad.headers.get('x-request-id')).toMatch(/^req_/);
    expect((await fetch(`${dp.url}/nope`)).headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('renders a GatewayError with its status and headers', async () => {
    boom.fail = new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', 'slow down', null, {
      'retry-after': '7',
    });
    try {
      const res = await post('/v1/chat/completions', chatBody());
      expect(res.headers.get('retry-after')).toBe('7');
      await expectError(res, 429, 'rate_limit_exceeded');
    } finally {
      boom.fail = null;
    }
  });

  it('hides unexpected errors behind a 500 without internals', async () => {
    boom.fail = new Error('secret internal detail at /srv/x.ts:12');
    try {
      const res = await post('/v1/chat/completions', chatBody());
      const err = await expectError(res, 500, 'internal_error');
      expect(err.message).not.toContain('secret');
    } finally {
      boom.fail = null;
    }
  });

  it('answers unknown paths with a JSON 404', async () => {
    await expectError(await fetch(`${dp.url}/v1/nothing-here`), 404, 'unknown_url');
  });
});
