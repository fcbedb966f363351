import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resetCredentials, resolveCredential } from '../../../data-plane/providers/shared/credentials.js';
import {
  httpError,
  isContextLengthMessage,
  parseRetryAfter,
  streamErrorEvent,
} from '../../../data-plane/providers/shared/errors.js';
import { buildHeaders } from '../../../data-plane/providers/shared/headers.js';
import { providerOf, thrown } from './helpers.js';

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);
  it('reads seconds, HTTP dates and retry-after-ms (which wins)', () => {
    expect(parseRetryAfter({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfter({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(parseRetryAfter({ 'retry-after': new Date(now + 10_000).toUTCString() }, now)).toBe(10_000);
    expect(parseRetryAfter({ 'retry-after': new Date(now - 10_000).toUTCString() }, now)).toBe(0);
    expect(parseRetryAfter({ 'retry-after': '3', 'retry-after-ms': '1250.5' }, now)).toBe(1251);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeNull();
    expect(parseRetryAfter({}, now)).toBeNull();
  });
});

describe('httpError', () => {
  it('maps statuses to kinds and keeps the provider message', () => {
    const cases: Array<[number, string, string]> = [
      [429, '{"error":{"message":"slow down"}}', 'rate_limit'],
      [500, '{"error":{"message":"boom"}}', 'server_error'],
      [502, 'Bad Gateway', 'server_error'],
      [503, '{"error":{"code":503,"message":"x","status":"UNAVAILABLE"}}', 'server_error'],
      [529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 'server_error'],
      [401, '{"error":{"message":"bad key"}}', 'auth'],
      [403, '{"error":{"message":"forbidden"}}', 'auth'],
      [404, '{"error":{"message":"model not found"}}', 'bad_request'],
      [422, '{"detail":"invalid"}', 'bad_request'],
      [408, '', 'timeout'],
      [400, '{"error":{"message":"x","code":"context_length_exceeded"}}', 'context_length'],
      [
        400,
        '{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}',
        'context_length',
      ],
      [
        400,
        '{"type":"error","error":{"type":"invalid_request_error","message":"input length and `max_tokens` exceed context limit: 198000 + 8192 > 200000"}}',
        'context_length',
      ],
      [
        400,
        '{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}',
        'context_length',
      ],
      [
        400,
        '{"error":{"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}',
        'context_length',
      ],
      [400, '{"error":{"message":"temperature: out of range"}}', 'bad_request'],
    ];
    for (const [status, body, kind] of cases) {
      const e = httpError('openai', status, {}, body);
      expect([status, e.kind]).toEqual([status, kind]);
      expect(e.status).toBe(status);
    }
    expect(
      httpError(
        'anthropic',
        400,
        {},
        '{"type":"error","error":{"type":"invalid_request_error","message":"messages: bad"}}',
      ).message,
    ).toMatch(/messages: bad/);
  });

  it('carries Retry-After on 429 and 503 only', () => {
    expect(httpError('openai', 429, { 'retry-after': '2' }, '').retryAfterMs).toBe(2000);
    expect(httpError('openai', 503, { 'retry-after': '2' }, '').retryAfterMs).toBe(2000);
    expect(httpError('openai', 400, { 'retry-after': '2' }, '').retryAfterMs).toBeNull();
  });

  it('classifies in-stream error events', () => {
    expect(
      streamErrorEvent(
        'anthropic',
        '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
        true,
      ),
    ).toMatchObject({
      kind: 'server_error',
      midStream: true,
    });
    expect(
      streamErrorEvent('anthropic', '{"type":"error","error":{"type":"rate_limit_error","message":"x"}}', false),
    ).toMatchObject({
      kind: 'rate_limit',
    });
    expect(
      streamErrorEvent('gemini', '{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}', true).kind,
    ).toBe('bad_request');
    expect(isContextLengthMessage("This model's maximum context length is 8192 tokens")).toBe(true);
  });
});

describe('credentials and headers', () => {
  it('resolves env: and file: references once and caches by reference', async () => {
    resetCredentials();
    process.env.SLUICE_TEST_CRED = 'secret-env';
    expect(resolveCredential('env:SLUICE_TEST_CRED')).toBe('secret-env');
    process.env.SLUICE_TEST_CRED = 'changed';
    expect(resolveCredential('env:SLUICE_TEST_CRED')).toBe('secret-env');
    resetCredentials();
    expect(resolveCredential('env:SLUICE_TEST_CRED')).toBe('changed');
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cred-'));
    await writeFile(join(dir, 'key'), 'secret-file\n');
    expect(resolveCredential(`file:${join(dir, 'key')}`)).toBe('secret-file');
    expect(resolveCredential(null)).toBeNull();
  });

  it('fails with auth errors that never contain the secret', () => {
    delete process.env.SLUICE_TEST_MISSING;
    expect(thrown(() => resolveCredential('env:SLUICE_TEST_MISSING'))).toMatchObject({ kind: 'auth' });
    expect(thrown(() => resolveCredential('file:/nonexistent/sluice'))).toMatchObject({
      kind: 'auth',
      message: /ENOENT/,
    });
    const e = thrown(() => resolveCredential('sk-plaintext-secret')) as Error;
    expect(e.message).not.toContain('sk-plaintext');
  });

  it('uses each provider auth scheme plus configured headers', () => {
    process.env.SLUICE_TEST_H = 'k1';
    const base = { credential: 'env:SLUICE_TEST_H', headers: { 'X-Extra': 'yes' } };
    expect(buildHeaders(providerOf('openai', 'http://x/v1', base), 'r', true)).toMatchObject({
      authorization: 'Bearer k1',
      accept: 'text/event-stream',
      'x-extra': 'yes',
    });
    expect(buildHeaders(providerOf('anthropic', 'http://x', base), 'r', false)).toMatchObject({
      'x-api-key': 'k1',
      'anthropic-version': '2023-06-01',
    });
    expect(buildHeaders(providerOf('gemini', 'http://x', base), 'r', false)).toMatchObject({ 'x-goog-api-key': 'k1' });
    expect(
      buildHeaders(providerOf('openai-compatible', 'http://x', { credential: null }), 'r', false).authorization,
    ).toBeUndefined();
  });
});
