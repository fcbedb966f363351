/**
 * The upstream SSE reader (providers/shared/stream.ts) against a raw HTTP server that controls the
 * exact bytes and their timing: end at the provider's end marker, several events in one TCP write,
 * an error event behind chunks of the same write, and back-pressure towards the upstream.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { getProviderAdapter } from '../../../data-plane/providers/index.js';
import { asStream, chatReq, collect, collectUntilError, opts, providerOf, textOf } from './helpers.js';
import { useScriptedUpstream } from './scripted-upstream.js';

const upstream = useScriptedUpstream();

const adapter = getProviderAdapter('openai');
const target = () => ({ provider: providerOf('openai', upstream.baseUrl), model: 'm-1' });

const frame = (content: string | null, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm-1',
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  })}\n\n`;
const usageFrame = `data: ${JSON.stringify({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm-1',
  choices: [],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
})}\n\n`;
const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });

describe('upstream SSE reader', () => {
  it('ends at [DONE] without waiting for the body to close, and the connection is reused', async () => {
    const socketsSeen = new Set<Socket>();
    upstream.handler = (req, res) => {
      socketsSeen.add(req.socket);
      sse(res);
      // Everything in one write, then the body stays open for a while before it ends.
      res.write(frame('Hel') + frame('lo') + frame(null, 'stop') + usageFrame + 'data: [DONE]\n\n');
      setTimeout(() => res.end(), 1_500);
    };
    const started = performance.now();
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target(), opts()));
    const chunks = await collect(s);
    const took = performance.now() - started;
    expect(textOf(chunks)).toBe('Hello');
    expect(s.usage()).toMatchObject({ promptTokens: 5, outputTokens: 2, source: 'provider' });
    expect(took).toBeLessThan(1_000); // well before the body ends
    // The rest of the body is still read, so the keep-alive connection goes back to the pool.
    await new Promise((r) => setTimeout(r, 1_700));
    const again = await collect(asStream(await adapter.chat(chatReq({ stream: true }), target(), opts())));
    expect(textOf(again)).toBe('Hello');
    expect(socketsSeen.size).toBe(1);
  });

  it('hands out the chunks that precede an error event of the same write, then fails mid-stream', async () => {
    upstream.handler = (_req, res) => {
      sse(res);
      res.end(`${frame('one')}${frame(' two')}data: {"error":{"message":"overloaded","type":"server_error"}}\n\n`);
    };
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target(), opts()));
    const { chunks, error } = await collectUntilError(s);
    expect(textOf(chunks)).toBe('one two');
    expect(error).toMatchObject({ kind: 'server_error', midStream: true });
  });

  it('stops reading the upstream while the consumer does not pull (back-pressure)', async () => {
    let blocked = false;
    let written = 0;
    let closed = false;
    const piece = frame('x'.repeat(16 * 1024));
    upstream.handler = (_req, res) => {
      sse(res);
      res.on('close', () => {
        closed = true;
      });
      const pump = () => {
        while (!closed && written < 64 * 1024 * 1024) {
          written += piece.length;
          if (!res.write(piece)) {
            blocked = true;
            res.once('drain', pump);
            return;
          }
        }
      };
      pump();
    };
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target(), opts()));
    const it = s[Symbol.asyncIterator]();
    await it.next();
    await new Promise((r) => setTimeout(r, 500));
    const atPause = written;
    await new Promise((r) => setTimeout(r, 300));
    expect(blocked).toBe(true);
    expect(written).toBe(atPause); // nothing more is taken while nobody pulls
    expect(written).toBeLessThan(32 * 1024 * 1024);
    await it.return?.();
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(true); // return() closed the upstream response
  });
});
