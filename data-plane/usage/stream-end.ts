/**
 * Wraps a streamed answer so that its end — completed, failed mid-way, or abandoned by the client —
 * is reported exactly once. A hand-written iterator rather than an async generator: a generator that
 * was never started skips its `finally` on return(), and a client that disconnects before the first
 * chunk must still produce its usage event.
 */
import type { ChatChunk } from '../../common/openai-types.js';
import { type SyncPullIterator, syncPullOf } from '../pipeline/stream-chunks.js';

export interface StreamEnd {
  error: unknown;
  /** The consumer stopped before the end (client gone). */
  abandoned: boolean;
}

export function onStreamEnd(
  source: AsyncIterable<ChatChunk>,
  signal: AbortSignal,
  onFirstChunk: () => void,
  onEnd: (end: StreamEnd) => void,
): AsyncIterable<ChatChunk> {
  let finished = false;
  let started = false;
  const finish = (end: StreamEnd): void => {
    if (finished) return;
    finished = true;
    onEnd(end);
  };
  // Client gone before anyone pulled a chunk: nobody will iterate, so report now.
  signal.addEventListener(
    'abort',
    () => {
      if (!started) finish({ error: null, abandoned: true });
    },
    { once: true },
  );
  return {
    [Symbol.asyncIterator](): SyncPullIterator<ChatChunk> {
      started = true;
      const it = source[Symbol.asyncIterator]();
      const itSync = syncPullOf(it);
      let first = true;
      // then() callbacks rather than an async function per pull: one promise per chunk, not three.
      const onResult = (r: IteratorResult<ChatChunk>): IteratorResult<ChatChunk> => {
        if (r.done) finish({ error: null, abandoned: false });
        else if (first) {
          first = false;
          onFirstChunk();
        }
        return r;
      };
      const onError = (error: unknown): never => {
        finish({ error, abandoned: false });
        throw error;
      };
      return {
        // The sync fast path: a chunk (or the end) the inner iterator already holds, no promise.
        nextSync() {
          if (itSync === null) return undefined;
          let r: IteratorResult<ChatChunk> | undefined;
          try {
            r = itSync();
          } catch (error) {
            throw onErrorSync(error);
          }
          return r === undefined ? undefined : onResult(r);
        },
        next() {
          let pulled: Promise<IteratorResult<ChatChunk>>;
          try {
            pulled = it.next();
          } catch (error) {
            return Promise.reject(onErrorSync(error));
          }
          return Promise.resolve(pulled).then(onResult, onError);
        },
        async return(value?: unknown) {
          try {
            if (it.return) await it.return(value);
          } catch (error) {
            finish({ error, abandoned: true });
            throw error;
          }
          finish({ error: null, abandoned: true });
          return { done: true, value: undefined };
        },
        async throw(error?: unknown) {
          finish({ error, abandoned: false });
          if (it.throw) return it.throw(error);
          throw error;
        },
      };
      function onErrorSync(error: unknown): unknown {
        finish({ error, abandoned: false });
        return error;
      }
    },
  };
}
