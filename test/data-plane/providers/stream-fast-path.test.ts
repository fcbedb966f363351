/**
 * The stream path's fast paths: chunks already parsed from one upstream read are handed out by
 * nextSync() without a promise, and an OpenAI chunk passed through unmodified keeps the upstream's
 * own JSON text, which the OpenAI ingress writes instead of re-stringifying the object.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../../common/openai-types.js';
import { chatIngress } from '../../../data-plane/ingress/openai.js';
import {
  clearRawJson,
  rawJsonOf,
  type SyncPullIterator,
  setRawJson,
  syncPullOf,
} from '../../../data-plane/pipeline/stream-chunks.js';
import type { RequestContext } from '../../../data-plane/pipeline/types.js';
import { getProviderAdapter } from '../../../data-plane/providers/index.js';
import { asStream, chatReq, collect, opts, providerOf, textOf } from './helpers.js';
import { useScriptedUpstream } from './scripted-upstream.js';

const upstream = useScriptedUpstream();

const adapter = getProviderAdapter('openai');
const target = () => ({ provider: providerOf('openai', upstream.baseUrl), model: 'm-1' });
const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
const encoder = chatIngress.streamEncoder({} as RequestContext);

// Upstream JSON with its own key order and spacing: what a pass-through must keep.
const raw1 =
  '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m-1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hé"},"finish_reason":null}]}';
const raw2 =
  '{ "choices": [{"index":0,"delta":{"content":"llo \\u00e9\\n"},"finish_reason":null}], "model":"m-1", "id":"c1", "object":"chat.completion.chunk", "created":1 }';
const raw3 =
  '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m-1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}';
const rawUsage =
  '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m-1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}';

describe('sync pull (nextSync)', () => {
  it('hands out the chunks of one upstream read synchronously, then the end', async () => {
    upstream.handler = (_req, res) => {
      sse(res);
      res.end(`data: ${raw1}\n\ndata:${raw2}\n\ndata: ${raw3}\n\ndata: ${rawUsage}\n\ndata: [DONE]\n\n`);
    };
    const s = asStream(
      await adapter.chat(chatReq({ stream: true, stream_options: { include_usage: true } }), target(), opts()),
    );
    const it = s[Symbol.asyncIterator]() as SyncPullIterator<ChatChunk>;
    const pull = syncPullOf(it);
    expect(pull).not.toBeNull();
    expect(pull?.()).toBeUndefined(); // nothing read yet: the caller must wait with next()
    const first = await it.next();
    expect(first.done).toBe(false);
    const rest: ChatChunk[] = [];
    for (;;) {
      const r = pull?.();
      expect(r).toBeDefined(); // the whole answer came in one read: no waiting from here on
      if (!r || r.done) break;
      rest.push(r.value);
    }
    expect(textOf([first.value as ChatChunk, ...rest])).toBe('Héllo é\n');
    expect(rest).toHaveLength(3);
    expect(s.usage()).toMatchObject({ promptTokens: 5, outputTokens: 2, source: 'provider' });
  });

  it('throws the error event behind buffered chunks only after handing them out', async () => {
    upstream.handler = (_req, res) => {
      sse(res);
      res.end(`data: ${raw1}\n\ndata: ${raw2}\n\ndata: {"error":{"message":"overloaded","type":"server_error"}}\n\n`);
    };
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target(), opts()));
    const it = s[Symbol.asyncIterator]();
    const pull = syncPullOf(it);
    await it.next();
    const second = pull?.();
    expect(second?.done).toBe(false);
    let error: unknown = null;
    try {
      pull?.();
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ kind: 'server_error', midStream: true });
  });

  it('stops handing out buffered chunks once the request was aborted', async () => {
    upstream.handler = (_req, res) => {
      sse(res);
      res.write(`data: ${raw1}\n\ndata: ${raw2}\n\n`);
    };
    const ac = new AbortController();
    const s = asStream(await adapter.chat(chatReq({ stream: true }), target(), opts({ signal: ac.signal })));
    const it = s[Symbol.asyncIterator]();
    const pull = syncPullOf(it);
    await it.next();
    ac.abort();
    expect(() => pull?.()).toThrow();
  });
});

describe('raw pass-through of unmodified OpenAI chunks', () => {
  it('writes the upstream JSON text as it came, and it parses to the same chunk', async () => {
    upstream.handler = (_req, res) => {
      sse(res);
      res.end(`data: ${raw1}\n\ndata:${raw2}\n\ndata: ${raw3}\n\ndata: ${rawUsage}\n\ndata: [DONE]\n\n`);
    };
    const chunks = await collect(
      asStream(
        await adapter.chat(chatReq({ stream: true, stream_options: { include_usage: true } }), target(), opts()),
      ),
    );
    expect(chunks.map(rawJsonOf)).toEqual([raw1, raw2, raw3, rawUsage]);
    for (const c of chunks) {
      const frame = encoder.chunk(c);
      expect(frame).toBe(`data: ${rawJsonOf(c)}\n\n`);
      expect(JSON.parse(frame.slice(6))).toEqual(JSON.parse(JSON.stringify(c)));
      expect(JSON.stringify(c)).not.toContain('sluice'); // the symbol never leaks into JSON
    }
  });

  it('re-encodes a chunk the gateway modified (usage the client did not ask for)', async () => {
    upstream.handler = (_req, res) => {
      sse(res);
      res.end(`data: ${raw1}\n\ndata: ${raw3}\n\ndata: ${rawUsage}\n\ndata: [DONE]\n\n`);
    };
    const chunks = await collect(asStream(await adapter.chat(chatReq({ stream: true }), target(), opts())));
    expect(chunks).toHaveLength(2); // the usage-only chunk is dropped
    expect(rawJsonOf(chunks[0] as ChatChunk)).toBe(raw1);
    const finish = chunks[1] as ChatChunk;
    expect(rawJsonOf(finish)).toBeUndefined();
    const frame = encoder.chunk(finish);
    expect(frame).not.toContain('usage');
    expect(JSON.parse(frame.slice(6))).toMatchObject({ choices: [{ finish_reason: 'stop' }] });
  });

  it('re-encodes an event whose JSON spanned several data lines, as one line', async () => {
    const multi =
      '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m-1",\ndata: "choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}';
    upstream.handler = (_req, res) => {
      sse(res);
      res.end(`data: ${multi}\n\ndata: [DONE]\n\n`);
    };
    const chunks = await collect(asStream(await adapter.chat(chatReq({ stream: true }), target(), opts())));
    expect(textOf(chunks)).toBe('hi');
    expect(rawJsonOf(chunks[0] as ChatChunk)).toBeUndefined();
    const frame = encoder.chunk(chunks[0] as ChatChunk);
    expect(frame.indexOf('\n')).toBe(frame.length - 2);
  });
});

describe('raw JSON is tied to the chunk object', () => {
  it('a copy never carries it, and an in-place change can clear it', () => {
    const chunk = {
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [],
    } as unknown as ChatChunk;
    setRawJson(chunk, '{"id":"c"}');
    expect(rawJsonOf(chunk)).toBe('{"id":"c"}');
    // A stage that rewrites a field on a copy must not get the upstream's stale bytes written.
    expect(rawJsonOf({ ...chunk, model: 'other' })).toBeUndefined();
    expect(JSON.stringify(chunk)).not.toContain('raw');
    clearRawJson(chunk);
    expect(rawJsonOf(chunk)).toBeUndefined();
  });
});
