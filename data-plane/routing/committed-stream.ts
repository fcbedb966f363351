/**
 * The client-facing stream once the router committed to a target (its first chunk exists).
 * From here a failure cannot be hidden: the iterator throws a GatewayError so the server ends the
 * SSE stream with an error event instead of [DONE]. Whatever happened (completed, failed, client
 * gone), the `finally` records the usage of what was received before outer stages reconcile.
 */
import type { ChatChunk } from '../../common/openai-types.js';
import type { NormalizedUsage } from '../../common/usage.js';
import { GatewayError } from '../errors.js';
import type { AttemptResult } from './attempt.js';
import { midStreamError } from './errors.js';

export type StreamEnd = 'ok' | 'failed' | 'aborted';

export interface CommittedStreamHooks {
  providerId: string;
  /** Called once, after usage is known, before the error (if any) propagates. */
  finish(end: StreamEnd, usage: NormalizedUsage, error: GatewayError | null): void;
}

export async function* committedStream(
  a: Extract<AttemptResult, { type: 'stream' }>,
  hooks: CommittedStreamHooks,
): AsyncGenerator<ChatChunk, void, undefined> {
  let end: StreamEnd = 'aborted';
  let error: GatewayError | null = null;
  try {
    for (const c of a.head) yield c;
    for (;;) {
      const r = await a.scope.race(a.iterator.next());
      if (r.done) break;
      yield r.value;
    }
    end = 'ok';
  } catch (err) {
    if (a.scope.clientGone) {
      end = 'aborted';
      error = err instanceof GatewayError ? err : null;
    } else {
      end = 'failed';
      error = midStreamError(err, hooks.providerId);
    }
    throw error ?? err;
  } finally {
    if (end !== 'ok') closeQuietly(a.iterator);
    a.scope.dispose();
    let usage: NormalizedUsage;
    try {
      usage = a.stream.usage();
    } catch {
      usage = { promptTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, source: 'counted' };
    }
    hooks.finish(end, usage, error);
  }
}

/** Not awaited: after an abort the upstream iterator may still have a pending next(). */
export function closeQuietly(iterator: AsyncIterator<unknown>): void {
  try {
    Promise.resolve(iterator.return?.()).catch(() => {});
  } catch {
    // A broken iterator cannot be closed any further.
  }
}
