/**
 * The first SSE frames leave at once with the headers; the frames produced after them in the same
 * event-loop turn leave together in one socket write (one syscall through the kernel's TCP stack
 * instead of one per frame), while frames produced later still go out as they come — also when
 * every chunk is available at once through the sync path (the first frame is not held back).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../../common/openai-types.js';
import type { SyncPullIterator } from '../../../data-plane/pipeline/stream-chunks.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { makeSnapshot, TEST_KEY } from '../../helpers/snapshot.js';
import { chatBody, chunk, sleep, testPipeline } from './fixtures.js';

let dp: TestDataPlane;
beforeAll(async () => {
  const pipeline = testPipeline(async (ctx) => {
    const user = String((ctx.body as { user?: string }).user ?? '');
    if (user === 'sync') {
      // Every chunk already available, offered through the sync fast path (as the upstream reader
      // does for the events of one TCP read).
      const items = [0, 1, 2, 3, 4].map((i) => chunk({ content: `s${i} ` }));
      let i = 0;
      const step = (): IteratorResult<ChatChunk> =>
        i < items.length ? { done: false, value: items[i++] as ChatChunk } : { done: true, value: undefined };
      const it: SyncPullIterator<ChatChunk> = { nextSync: step, next: async () => step() };
      return { type: 'stream', chunks: { [Symbol.asyncIterator]: () => it } };
    }
    return {
      type: 'stream',
      chunks: (async function* () {
        for (let i = 0; i < 5; i++) yield chunk({ content: `t${i} ` });
        if (user === 'paced') {
          await sleep(300);
          yield chunk({ content: 'late' });
        }
      })(),
    };
  });
  dp = await startTestDataPlane({ snapshot: makeSnapshot(), pipeline });
});
afterAll(() => dp.close());

/** Sends one streaming request on a raw socket; returns each received piece with its arrival time. */
async function rawStream(user: string): Promise<{ text: string; at: number }[]> {
  const sock = connect(dp.port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const body = chatBody({ stream: true, user });
  const pieces: { text: string; at: number }[] = [];
  const started = performance.now();
  const done = new Promise<void>((resolve) => {
    sock.on('data', (d: Buffer) => {
      pieces.push({ text: d.toString(), at: performance.now() - started });
      if (d.toString().includes('data: [DONE]')) resolve();
    });
  });
  sock.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEY}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  await done;
  sock.destroy();
  return pieces;
}

describe('SSE write batching', () => {
  it('writes the headers with the first frame, then the rest of the turn and [DONE] in one write', async () => {
    const pieces = await rawStream('burst');
    // Two writes (the reader may see them merged); one write per frame would be seven.
    expect(pieces.length).toBeLessThanOrEqual(2);
    expect(pieces[0]!.text).toMatch(/^HTTP\/1\.1 200 OK/);
    const text = pieces.map((p) => p.text).join('');
    expect(text.match(/data: \{/g)).toHaveLength(5);
    expect(text).toContain('data: [DONE]');
  });

  it('sends the first frame at once and stays chunked when every chunk is available at once', async () => {
    const pieces = await rawStream('sync');
    // Headers + first frame, then the rest with [DONE]: two writes (the reader may see them merged).
    expect(pieces.length).toBeLessThanOrEqual(2);
    const text = pieces.map((p) => p.text).join('');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text.match(/data: \{/g)).toHaveLength(5);
    expect(text).toContain('s4 ');
    const head = text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).toContain('transfer-encoding: chunked');
    expect(head).toContain('content-type: text/event-stream');
  });

  it('does not hold frames back until the stream ends', async () => {
    const pieces = await rawStream('paced');
    const late = pieces.findIndex((p) => p.text.includes('late'));
    expect(late).toBeGreaterThan(0);
    // The first five frames arrived before the late one was even produced.
    const early = pieces
      .slice(0, late)
      .map((p) => p.text)
      .join('');
    expect(early.match(/data: \{/g)).toHaveLength(5);
    expect(pieces[late]!.at - pieces[late - 1]!.at).toBeGreaterThan(200);
  });
});
