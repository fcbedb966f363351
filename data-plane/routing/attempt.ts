/**
 * Makes one upstream call and, for streams, pulls the first chunk before the router commits to
 * this target: until a chunk exists nothing has reached the client, so any failure up to here can
 * still be retried or fall back transparently.
 */
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../../common/openai-types.js';
import type { Timeouts } from '../../common/snapshot.js';
import type { NormalizedUsage } from '../../common/usage.js';
import type { ProviderAdapter, UpstreamStream, UpstreamTarget } from '../providers/types.js';
import { ProviderError } from '../providers/types.js';
import { AttemptScope } from './attempt-scope.js';
import { closeQuietly } from './committed-stream.js';

export type AttemptResult =
  | { type: 'json'; body: ChatResponse | EmbeddingsResponse; usage: NormalizedUsage }
  | {
      type: 'stream';
      stream: UpstreamStream;
      iterator: AsyncIterator<ChatChunk>;
      first: IteratorResult<ChatChunk>;
      /** Owned by the committed stream from here on (it disposes it). */
      scope: AttemptScope;
    };

export interface AttemptInput {
  adapter: ProviderAdapter;
  target: UpstreamTarget;
  timeouts: Timeouts;
  signal: AbortSignal;
  requestId: string;
  call: { kind: 'chat'; body: ChatRequest } | { kind: 'embeddings'; body: EmbeddingsRequest };
}

/** Throws ProviderError (upstream failure or timeout) or GatewayError (client gone). */
export async function runAttempt(input: AttemptInput): Promise<AttemptResult> {
  const scope = new AttemptScope(input.signal, input.timeouts);
  const opts = { signal: scope.signal, timeouts: input.timeouts, requestId: input.requestId };
  scope.startFirstTokenClock();
  try {
    if (input.call.kind === 'embeddings') {
      const r = await scope.race(input.adapter.embeddings(input.call.body, input.target, opts));
      scope.dispose(false);
      return { type: 'json', body: r.response, usage: r.usage };
    }
    const result = await scope.race(input.adapter.chat(input.call.body, input.target, opts));
    if (result.type === 'json') {
      scope.dispose(false);
      return { type: 'json', body: result.response, usage: result.usage };
    }
    const iterator = result.stream[Symbol.asyncIterator]();
    let first: IteratorResult<ChatChunk>;
    try {
      first = await scope.race(iterator.next());
    } catch (err) {
      // Close the upstream stream we will not read; its own errors no longer matter.
      closeQuietly(iterator);
      throw err;
    }
    if (first.done) throw new ProviderError('connection', 'stream ended before the first chunk', null);
    scope.stopFirstTokenClock();
    return { type: 'stream', stream: result.stream, iterator, first, scope };
  } catch (err) {
    const failure = scope.failure(err);
    scope.dispose(true);
    throw failure;
  }
}
