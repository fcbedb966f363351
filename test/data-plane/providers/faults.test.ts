/** Transport faults against the fakes: timeouts, refused/reset connections, aborts, back-pressure. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderType } from '../../../common/snapshot.js';
import { getProviderAdapter } from '../../../data-plane/providers/index.js';
import { closePools } from '../../../data-plane/providers/shared/pools.js';
import { ProviderError } from '../../../data-plane/providers/types.js';
import { type FakeServer, startFakeAnthropic, startFakeGemini, startFakeOpenAI } from '../../fakes/index.js';
import { asStream, chatReq, closedPort, collectUntilError, opts, providerOf, textOf } from './helpers.js';

const fakes: Partial<Record<ProviderType, FakeServer>> = {};
const TYPES: ProviderType[] = ['openai', 'anthropic', 'gemini'];

beforeAll(async () => {
  fakes.openai = await startFakeOpenAI();
  fakes.anthropic = await startFakeAnthropic();
  fakes.gemini = await startFakeGemini();
});
afterAll(async () => {
  await closePools();
  await Promise.all(Object.values(fakes).map((f) => f?.close()));
});
beforeEach(() => {
  for (const f of Object.values(fakes)) f?.reset();
});

const targetOf = (type: ProviderType) => ({ provider: providerOf(type, fakes[type]!.url), model: 'm-1' });

describe.each(TYPES)('%s faults', (type) => {
  const adapter = getProviderAdapter(type);

  it('first-token timeout (JSON): slow response → timeout, and the fake sees the socket close', async () => {
    fakes[type]!.setBehavior({ firstChunkDelayMs: 5_000 });
    const started = Date.now();
    const err = await adapter
      .chat(chatReq(), targetOf(type), opts({ timeouts: { firstTokenMs: 300 } }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'timeout', midStream: false });
    expect((err as Error).message).toMatch(/first token/);
    expect(Date.now() - started).toBeLessThan(4_000);
    await fakes[type]!.requests[0].closed;
    expect(fakes[type]!.requests[0].aborted).toBe(true);
  });

  it('first-token timeout (stream): headers arrive but no event → timeout before the first chunk', async () => {
    fakes[type]!.setBehavior({ firstChunkDelayMs: 5_000 });
    const started = Date.now();
    // Usually chat() resolves on the headers and the iterator times out; on a loaded machine the
    // timer may already fire before the headers are in. Either way: a timeout before any chunk.
    const result = await adapter
      .chat(chatReq({ stream: true }), targetOf(type), opts({ timeouts: { firstTokenMs: 300 } }))
      .then(
        (r) => collectUntilError(asStream(r)),
        (error: unknown) => ({ chunks: [], error }),
      );
    expect(result.chunks).toEqual([]);
    expect(result.error).toMatchObject({ kind: 'timeout', midStream: false });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('total timeout mid-stream → timeout with midStream, counted usage of what arrived', async () => {
    fakes[type]!.setBehavior({ chunks: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], chunkDelayMs: 100, usage: null });
    const s = asStream(
      await adapter.chat(chatReq({ stream: true }), targetOf(type), opts({ timeouts: { totalMs: 550 } })),
    );
    const { chunks, error } = await collectUntilError(s);
    expect(error).toMatchObject({ kind: 'timeout', midStream: true });
    expect((error as Error).message).toMatch(/total/);
    expect(textOf(chunks).length).toBeGreaterThan(0);
    expect(textOf(chunks).length).toBeLessThan(8);
    expect(s.usage()).toMatchObject({ source: 'counted' });
    expect(s.usage().outputTokens).toBeGreaterThan(0);
  });

  it('a hanging upstream ends with the total timeout', async () => {
    fakes[type]!.setBehavior({ hang: true });
    const err = await adapter
      .chat(chatReq(), targetOf(type), opts({ timeouts: { firstTokenMs: 0, totalMs: 200 } }))
      .catch((e) => e);
    expect(err).toMatchObject({ kind: 'timeout' });
  });

  it('connection reset before the response → connection', async () => {
    fakes[type]!.setBehavior({ resetBeforeResponse: true });
    const err = await adapter.chat(chatReq(), targetOf(type), opts()).catch((e) => e);
    expect(err).toMatchObject({ kind: 'connection', status: null, midStream: false });
  });

  it('connection reset mid-stream → connection with midStream, chunks kept, usage counted', async () => {
    fakes[type]!.setBehavior({ chunks: ['alpha', ' beta', ' gamma', ' delta'], resetAfterChunks: 2 });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), targetOf(type), opts()));
    const { chunks, error } = await collectUntilError(s);
    expect(textOf(chunks)).toBe('alpha beta');
    expect(error).toMatchObject({ kind: 'connection', midStream: true });
    expect(s.usage()).toMatchObject({ source: 'counted' });
    expect(s.usage().outputTokens).toBeGreaterThan(0);
  });

  it('caller abort mid-stream rejects with the abort reason and closes the upstream socket', async () => {
    fakes[type]!.setBehavior({ chunks: ['x', 'y', 'z', 'w'], chunkDelayMs: 200 });
    const ac = new AbortController();
    const s = asStream(await adapter.chat(chatReq({ stream: true }), targetOf(type), opts({ signal: ac.signal })));
    const reason = new Error('client went away');
    const seen: string[] = [];
    const err = await (async () => {
      try {
        for await (const c of s) {
          seen.push(c.choices[0]?.delta.content ?? '');
          if (seen.join('') === 'x') ac.abort(reason);
        }
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBe(reason);
    await fakes[type]!.requests[0].closed;
    expect(fakes[type]!.requests[0].aborted).toBe(true);
    expect(s.usage().source).toBe('counted');
  });

  it('breaking out of the loop destroys the upstream body', async () => {
    fakes[type]!.setBehavior({ chunks: ['1', '2', '3', '4', '5'], chunkDelayMs: 100 });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), targetOf(type), opts()));
    for await (const c of s) if (c.choices[0]?.delta.content === '1') break;
    await fakes[type]!.requests[0].closed;
    expect(fakes[type]!.requests[0].aborted).toBe(true);
  });

  it('return() on an iterator that never started also closes the upstream', async () => {
    fakes[type]!.setBehavior({ chunks: ['1', '2'], firstChunkDelayMs: 300 });
    const s = asStream(await adapter.chat(chatReq({ stream: true }), targetOf(type), opts()));
    const it = s[Symbol.asyncIterator]();
    await it.return?.();
    await fakes[type]!.requests[0].closed;
    expect(fakes[type]!.requests[0].aborted).toBe(true);
  });

  it('an already-aborted signal never reaches the upstream', async () => {
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    await expect(adapter.chat(chatReq(), targetOf(type), opts({ signal: ac.signal }))).rejects.toThrow('gone');
    expect(fakes[type]!.requests).toHaveLength(0);
  });

  it('500 and 429 with Retry-After (HTTP date) map to server_error / rate_limit', async () => {
    const when = new Date(Date.now() + 30_000).toUTCString();
    fakes[type]!.script({ status: 500 }, { status: 429, retryAfter: when });
    const e1 = (await adapter.chat(chatReq({ stream: true }), targetOf(type), opts()).catch((e) => e)) as ProviderError;
    const e2 = (await adapter.chat(chatReq(), targetOf(type), opts()).catch((e) => e)) as ProviderError;
    expect([e1.kind, e1.status, e1.midStream]).toEqual(['server_error', 500, false]);
    expect([e2.kind, e2.status]).toEqual(['rate_limit', 429]);
    expect(e2.retryAfterMs).toBeGreaterThan(25_000);
    expect(e2.retryAfterMs).toBeLessThanOrEqual(30_000);
  });
});

describe('connection refused', () => {
  it.each(TYPES)('%s: nothing listening → connection', async (type) => {
    const port = await closedPort();
    const target = { provider: providerOf(type, `http://127.0.0.1:${port}/v1`), model: 'm' };
    const err = await getProviderAdapter(type)
      .chat(chatReq(), target, opts())
      .catch((e) => e);
    expect(err).toMatchObject({ kind: 'connection', status: null });
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });
});

describe('keep-alive', () => {
  it('reuses keep-alive connections for sequential requests', async () => {
    const fake = fakes.openai!;
    const target = { provider: providerOf('openai', fake.url, { id: 'keepalive', maxConnections: 3 }), model: 'm' };
    for (let i = 0; i < 5; i++) await getProviderAdapter('openai').chat(chatReq(), target, opts());
    expect(fake.requests).toHaveLength(5);
    // undici may hand the next request to a second idle client while the first finishes its
    // bookkeeping, but it never opens a connection per request.
    expect(new Set(fake.requests.map((r) => r.remotePort)).size).toBeLessThanOrEqual(2);
  });
});
