/**
 * The client-facing stream once the router committed to a target (its first chunk exists).
 * From here a failure cannot be hidden: the iterator throws a GatewayError so the server ends the
 * SSE stream with an error event instead of [DONE]. Whatever happened (completed, failed, client
 * gone), the `finally` records the usage of what was received before outer stages reconcile.
 */
import type { ChatChunk } from '../../common/openai-types.js';
import type { NormalizedUsage } from '../../common/usage.js';
import { GatewayError } from '../errors.js';
import { type SyncPullIterator, syncPullOf } from '../pipeline/stream-chunks.js';
import type { AttemptResult } from './attempt.js';
import { midStreamError } from './errors.js';

export type StreamEnd = 'ok' | 'failed' | 'aborted';

export interface CommittedStreamHooks {
  providerId: string;
  /** Called once, after usage is known, before the error (if any) propagates. */
  finish(end: StreamEnd, usage: NormalizedUsage, error: GatewayError | null): void;
}

/**
 * A plain async iterator rather than an async generator: a generator layer costs a resume, an
 * await and a promise per chunk. Same contract as the generator it replaces — one pull at a time
 * (the server and the outer stages never overlap next() calls), head chunks first, the cleanup
 * below exactly once when the stream completes, fails or is returned early; returned before its
 * first next() it only releases the attempt's timers (a never-started generator ran no finally).
 */
export function committedStream(
  a: Extract<AttemptResult, { type: 'stream' }>,
  hooks: CommittedStreamHooks,
): AsyncIterableIterator<ChatChunk> & SyncPullIterator<ChatChunk> {
  let headIndex = 0;
  const innerSync = syncPullOf(a.iterator);
  let started = false;
  let ended = false;
  const done = (): IteratorResult<ChatChunk> => ({ done: true, value: undefined });

  const end = (how: StreamEnd, error: GatewayError | null): void => {
    ended = true;
    if (how !== 'ok') closeQuietly(a.iterator);
    a.scope.dispose();
    let usage: NormalizedUsage;
    try {
      usage = a.stream.usage();
    } catch {
      usage = { promptTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, source: 'counted' };
    }
    hooks.finish(how, usage, error);
  };
  const onResult = (r: IteratorResult<ChatChunk>): IteratorResult<ChatChunk> => {
    if (r.done) {
      if (!ended) end('ok', null);
      return done();
    }
    return r;
  };
  const onError = (err: unknown): never => {
    if (ended) throw err;
    if (a.scope.clientGone) {
      const error = err instanceof GatewayError ? err : null;
      end('aborted', error);
      throw error ?? err;
    }
    const error = midStreamError(err, hooks.providerId);
    end('failed', error);
    throw error;
  };

  const iterator: AsyncIterableIterator<ChatChunk> & SyncPullIterator<ChatChunk> = {
    [Symbol.asyncIterator]: () => iterator,
    // A chunk the upstream reader already holds needs no race against the deadlines: the reader
    // checks the adapter's own abort/timeout signal before handing it out, and once the client is
    // gone this path is not taken (next() then rejects at once, as before).
    nextSync() {
      if (ended) return done();
      if (headIndex < a.head.length) {
        started = true;
        return { done: false, value: a.head[headIndex++] as ChatChunk };
      }
      if (innerSync === null || a.scope.clientGone) return undefined;
      let r: IteratorResult<ChatChunk> | undefined;
      try {
        r = innerSync();
      } catch (err) {
        started = true;
        return onError(err);
      }
      if (r === undefined) return undefined;
      started = true;
      return onResult(r);
    },
    next() {
      if (ended) return Promise.resolve(done());
      started = true;
      if (headIndex < a.head.length) {
        return Promise.resolve({ done: false, value: a.head[headIndex++] as ChatChunk });
      }
      return a.scope.race(a.iterator.next()).then(onResult, onError);
    },
    return() {
      if (!ended) {
        if (started) end('aborted', null);
        else {
          ended = true;
          a.scope.dispose();
        }
      }
      return Promise.resolve(done());
    },
  };
  return iterator;
}

/** Not awaited: after an abort the upstream iterator may still have a pending next(). */
export function closeQuietly(iterator: AsyncIterator<unknown>): void {
  try {
    Promise.resolve(iterator.return?.()).catch(() => {});
  } catch {
    // A broken iterator cannot be closed any further.
  }
}
