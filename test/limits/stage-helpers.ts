/** Builds request contexts and fake inner pipelines for limits-stage tests (no server needed). */
import pino from 'pino';
import type { ChatChunk, ChatRequest, EmbeddingsRequest } from '../../common/openai-types.js';
import type { Snapshot } from '../../common/snapshot.js';
import type { NormalizedUsage } from '../../common/usage.js';
import { GatewayError } from '../../data-plane/errors.js';
import { type Endpoint, newMeta, type Outcome, type RequestContext } from '../../data-plane/pipeline/types.js';
import { sha256, TEST_KEY } from '../helpers/snapshot.js';

export const silent = pino({ level: 'silent' });

let seq = 0;
export function makeCtx(
  snapshot: Snapshot,
  body: ChatRequest | EmbeddingsRequest,
  opts: { endpoint?: Endpoint; stream?: boolean; signal?: AbortSignal; receivedAt?: number; secret?: string } = {},
): RequestContext {
  const key = snapshot.keys[sha256(opts.secret ?? TEST_KEY)] ?? null;
  return {
    id: `req-${seq++}`,
    receivedAt: opts.receivedAt ?? Date.now(),
    snapshot,
    endpoint: opts.endpoint ?? 'chat',
    headers: {},
    signal: opts.signal ?? new AbortController().signal,
    presentedKeyHash: key?.hash ?? null,
    key,
    route: snapshot.routes[body.model] ?? null,
    body,
    stream: opts.stream ?? false,
    responseHeaders: {},
    meta: newMeta(),
  };
}

export const chat = (content: string, over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-test',
  messages: [{ role: 'user', content }],
  ...over,
});

export const usage = (promptTokens: number, outputTokens: number): NormalizedUsage => ({
  promptTokens,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens,
  source: 'provider',
});

/** An inner pipeline answering JSON with `u` as the provider's usage. */
export const jsonNext = (ctx: RequestContext, u: NormalizedUsage | null) => async (): Promise<Outcome> => {
  ctx.meta.provider = 'fake';
  ctx.meta.upstreamModel = 'gpt-4o-mini';
  ctx.meta.usage = u;
  return { type: 'json', status: 200, body: { ok: true } };
};

function chunk(text: string): ChatChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
  };
}

/**
 * A streaming inner pipeline the way the router behaves: `chunks` chunks of one token each;
 * in its finally it sets ctx.meta.usage to what was delivered (prompt + chunks sent), unless
 * it failed before any output (`failAfter` = 0 → usage stays null).
 */
export const streamNext =
  (ctx: RequestContext, opts: { prompt: number; chunks: number; failAfter?: number }) => async (): Promise<Outcome> => {
    ctx.meta.provider = 'fake';
    ctx.meta.upstreamModel = 'gpt-4o-mini';
    let sent = 0;
    async function* gen(): AsyncGenerator<ChatChunk> {
      try {
        for (let i = 0; i < opts.chunks; i++) {
          if (opts.failAfter !== undefined && i === opts.failAfter) {
            throw new GatewayError(502, 'api_error', 'upstream_stream_failed', 'provider stream broke');
          }
          await new Promise((r) => setImmediate(r));
          sent++;
          yield chunk(`t${i}`);
        }
      } finally {
        ctx.meta.usage = opts.failAfter === 0 ? null : usage(opts.prompt, sent);
      }
    }
    return { type: 'stream', chunks: gen() };
  };

/** Drains a stream outcome; `take` stops early like a client disconnect. Returns chunks read and the error. */
export async function drain(outcome: Outcome, take = Number.POSITIVE_INFINITY): Promise<{ n: number; error: unknown }> {
  if (outcome.type !== 'stream') throw new Error('expected a stream');
  let n = 0;
  try {
    for await (const _c of outcome.chunks) {
      n++;
      if (n >= take) break;
    }
  } catch (error) {
    return { n, error };
  }
  return { n, error: null };
}
