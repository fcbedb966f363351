/** Shared test helpers for the provider adapter tests. */
import type { ChatChunk, ChatRequest } from '../../../common/openai-types.js';
import type { ProviderRecord, ProviderType, Timeouts } from '../../../common/snapshot.js';
import type { CallOptions, ChatResult, UpstreamStream } from '../../../data-plane/providers/types.js';
import { provider } from '../../helpers/snapshot.js';

export const TIMEOUTS: Timeouts = { connectMs: 1_000, firstTokenMs: 5_000, totalMs: 10_000 };

export function opts(
  over: Omit<Partial<CallOptions>, 'timeouts'> & { timeouts?: Partial<Timeouts> } = {},
): CallOptions {
  return {
    signal: over.signal ?? new AbortController().signal,
    timeouts: { ...TIMEOUTS, ...(over.timeouts ?? {}) },
    requestId: over.requestId ?? 'req-test-1',
  };
}

export function providerOf(type: ProviderType, baseUrl: string, over: Partial<ProviderRecord> = {}): ProviderRecord {
  return provider(`p-${type}`, baseUrl, { type, maxConnections: 8, ...over });
}

export function chatReq(over: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'alias', messages: [{ role: 'user', content: 'Say hello' }], ...over };
}

export async function collect(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

/** Collects until the stream throws; returns the chunks and the error. */
export async function collectUntilError(
  stream: AsyncIterable<ChatChunk>,
): Promise<{ chunks: ChatChunk[]; error: unknown }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const c of stream) chunks.push(c);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: null };
}

export function asStream(r: ChatResult): UpstreamStream {
  if (r.type !== 'stream') throw new Error(`expected a stream, got ${r.type}`);
  return r.stream;
}

export function asJson(r: ChatResult) {
  if (r.type !== 'json') throw new Error(`expected json, got ${r.type}`);
  return r;
}

/** The text of a chunk sequence, joined. */
export const textOf = (chunks: ChatChunk[]): string =>
  chunks.map((c) => c.choices.map((ch) => ch.delta.content ?? '').join('')).join('');

/** A compact view of chunks for exact-sequence assertions. */
export const shape = (chunks: ChatChunk[]) =>
  chunks.map((c) =>
    c.choices.length === 0 ? { usage: c.usage } : { delta: c.choices[0].delta, finish: c.choices[0].finish_reason },
  );

/** A port on 127.0.0.1 where nothing listens (connection refused). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The error `fn` throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}
