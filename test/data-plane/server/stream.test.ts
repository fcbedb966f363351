import { connect } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../data-plane/errors.js';
import type { Outcome, RequestContext } from '../../../data-plane/pipeline/types.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { makeSnapshot, TEST_KEY } from '../../helpers/snapshot.js';
import { AUTH, chatBody, chunk, scripted, sleep, testPipeline, usageChunk, waitFor } from './fixtures.js';

/** Per-test behaviour of the terminal stage, chosen by the request's `user` field. */
const behaviours: Record<string, (ctx: RequestContext) => Promise<Outcome>> = {};
const probe = { pulled: 0, returned: false, signalAborted: false, finallyRan: false };

let dp: TestDataPlane;
beforeAll(async () => {
  const normal = scripted();
  const pipeline = testPipeline(async (ctx) => {
    const b = behaviours[String((ctx.body as { user?: string }).user ?? '')];
    return b ? b(ctx) : normal(ctx);
  });
  dp = await startTestDataPlane({ snapshot: makeSnapshot(), pipeline });
});
afterAll(() => dp.close());

const client = () => new OpenAI({ apiKey: TEST_KEY, baseURL: `${dp.url}/v1`, maxRetries: 0 });

describe('JSON and SSE rendering', () => {
  it('works unchanged with the official openai client, non-streaming', async () => {
    const res = await client().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0].message.content).toBe('Hello!');
    expect(res.usage?.total_tokens).toBe(7);
  });

  it('works unchanged with the official openai client, streaming with usage', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let total = 0;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) total = c.usage.total_tokens;
    }
    expect(text).toBe('Hello!');
    expect(total).toBe(8);
  });

  it('sends SSE headers, stage headers and [DONE] on clean completion', async () => {
    behaviours.headers = async (ctx) => {
      ctx.responseHeaders['x-sluice-provider'] = 'fake';
      return scripted()(ctx);
    };
    const res = await fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: chatBody({ stream: true, user: 'headers' }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-sluice-provider')).toBe('fake');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const text = await res.text();
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames.at(-1)).toBe('data: [DONE]');
    expect(frames.slice(0, -1).every((f) => f.startsWith('data: {'))).toBe(true);
  });

  it('ends a stream that fails mid-way with an error event and no [DONE]', async () => {
    behaviours.midfail = async () => ({
      type: 'stream',
      chunks: (async function* () {
        yield chunk({ content: 'partial' });
        throw new GatewayError(502, 'api_error', 'upstream_error', 'provider connection reset');
      })(),
    });
    const res = await fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: chatBody({ stream: true, user: 'midfail' }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('partial');
    expect(text).not.toContain('[DONE]');
    const last = text.split('\n\n').filter(Boolean).at(-1) ?? '';
    expect(JSON.parse(last.slice('data: '.length))).toEqual({
      error: { message: 'provider connection reset', type: 'api_error', code: 'upstream_error', param: null },
    });
  });

  it('the openai client surfaces the mid-stream error instead of a silent success', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      user: 'midfail',
    });
    await expect(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
    ).rejects.toThrow(/provider connection reset/);
  });

  it('a stream failing before its first chunk gets a normal error status', async () => {
    behaviours.earlyfail = async () => ({
      type: 'stream',
      // biome-ignore lint/correctness/useYield: the point is a stream that fails before its first chunk
      chunks: (async function* () {
        throw new GatewayError(503, 'service_unavailable', 'all_targets_failed', 'no target answered');
      })(),
    });
    const res = await fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: chatBody({ stream: true, user: 'earlyfail' }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('all_targets_failed');
  });
});

describe('client abort and back-pressure', () => {
  it('a client abort runs the iterator return() (stages finally) and aborts ctx.signal', async () => {
    Object.assign(probe, { pulled: 0, returned: false, signalAborted: false, finallyRan: false });
    behaviours.slow = async (ctx) => ({
      type: 'stream',
      chunks: (async function* () {
        try {
          for (let i = 0; ; i++) {
            probe.pulled++;
            yield chunk({ content: `t${i} ` });
            await sleep(20);
          }
        } finally {
          probe.finallyRan = true;
          probe.signalAborted = ctx.signal.aborted;
        }
      })(),
    });
    const ac = new AbortController();
    const res = await fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: chatBody({ stream: true, user: 'slow' }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    ac.abort();
    await waitFor(() => probe.finallyRan, 3000, 'the stream generator finally');
    expect(probe.signalAborted).toBe(true);
    const pulledAtAbort = probe.pulled;
    await sleep(100);
    expect(probe.pulled).toBe(pulledAtAbort);
  });

  it('a client gone before the first chunk still lets the stages finish (finally runs)', async () => {
    let finallyRan = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    behaviours.gone = async (ctx) => {
      await gate; // the pipeline is still deciding when the client leaves
      return {
        type: 'stream',
        chunks: (async function* () {
          try {
            if (ctx.signal.aborted) throw new GatewayError(499, 'api_error', 'aborted', 'client gone');
            yield chunk({ content: 'never sent' });
          } finally {
            finallyRan = true;
          }
        })(),
      };
    };
    const ac = new AbortController();
    const pending = fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: chatBody({ stream: true, user: 'gone' }),
      signal: ac.signal,
    }).catch(() => null);
    await sleep(50);
    ac.abort();
    await pending;
    await sleep(50);
    release();
    await waitFor(() => finallyRan, 3000, 'finally of a never-started stream');
  });

  it('stops pulling the iterator while a client does not read (bounded buffering)', async () => {
    let pulledBytes = 0;
    let finallyRan = false;
    const piece = 'x'.repeat(16 * 1024);
    behaviours.firehose = async () => ({
      type: 'stream',
      chunks: (async function* () {
        try {
          for (;;) {
            pulledBytes += piece.length;
            yield chunk({ content: piece });
            // Never runs away even without back-pressure: ~1 GB if unbounded within the test window.
            if (pulledBytes > 1024 * 1024 * 1024) return;
          }
        } finally {
          finallyRan = true;
        }
      })(),
    });
    const sock = connect(dp.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const body = chatBody({ stream: true, user: 'firehose' });
    sock.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEY}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    sock.pause(); // never read: the kernel buffers fill, then uWS must report back-pressure
    await sleep(700);
    const first = pulledBytes;
    await sleep(700);
    const second = pulledBytes;
    expect(second).toBeGreaterThan(0);
    expect(second).toBe(first); // no longer pulled while the socket is full
    expect(second).toBeLessThan(16 * 1024 * 1024); // ~4 MB of kernel socket buffers here, not the whole stream
    sock.destroy();
    await waitFor(() => finallyRan, 3000, 'the stream finally after the reader disconnected');
  });

  it('resumes pulling once the slow client reads again and delivers everything', async () => {
    const total = 400;
    const piece = 'y'.repeat(8 * 1024);
    behaviours.resume = async () => ({
      type: 'stream',
      chunks: (async function* () {
        for (let i = 0; i < total; i++) yield chunk({ content: piece });
        yield usageChunk(1, total);
      })(),
    });
    const res = await fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: chatBody({ stream: true, user: 'resume' }),
    });
    const reader = res.body!.getReader();
    await sleep(300); // let the socket fill
    let received = '';
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    const frames = received.split('\n\n').filter(Boolean);
    expect(frames.at(-1)).toBe('data: [DONE]');
    expect(frames.length).toBe(total + 2);
  });
});
