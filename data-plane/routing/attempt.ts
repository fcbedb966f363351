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
      /** Chunks already pulled (role prelude + the first real token), handed out first. */
      head: ChatChunk[];
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
  const scope = new AttemptScope(input.signal, input.timeouts, true);
  const opts = { signal: scope.signal, timeouts: input.timeouts, requestId: input.requestId };
  try {
    if (input.call.kind === 'embeddings') {
      const r = await scope.race(input.adapter.embeddings(input.call.body, input.target, opts));
      scope.dispose();
      return { type: 'json', body: r.response, usage: r.usage };
    }
    const result = await scope.race(input.adapter.chat(input.call.body, input.target, opts));
    if (result.type === 'json') {
      scope.dispose();
      return { type: 'json', body: result.response, usage: result.usage };
    }
    const iterator = result.stream[Symbol.asyncIterator]();
    // Role-only prelude chunks carry no answer yet: hold them back until the first real token, so a
    // failure right after the prelude still falls back without the client having seen anything.
    const prelude: ChatChunk[] = [];
    let first: ChatChunk;
    try {
      for (;;) {
        const r = await scope.race(iterator.next());
        if (r.done) throw new ProviderError('connection', 'stream ended before the first token', null);
        if (prelude.length < MAX_PRELUDE && isPrelude(r.value)) prelude.push(r.value);
        else {
          first = r.value;
          break;
        }
      }
    } catch (err) {
      // Close the upstream stream we will not read; its own errors no longer matter.
      closeQuietly(iterator);
      throw err;
    }
    scope.stopFirstTokenClock();
    return { type: 'stream', stream: result.stream, iterator, head: [...prelude, first], scope };
  } catch (err) {
    const failure = scope.failure(err);
    scope.dispose();
    throw failure;
  }
}

const MAX_PRELUDE = 4;

/** A chunk that only announces the assistant role (empty content, no finish, no usage). */
function isPrelude(c: ChatChunk): boolean {
  if (c.usage) return false;
  if (!c.choices || c.choices.length === 0) return false;
  for (const choice of c.choices) {
    if (choice.finish_reason) return false;
    for (const [k, v] of Object.entries(choice.delta ?? {})) {
      if (k === 'role') continue;
      if (k === 'content' && (v === '' || v === null)) continue;
      return false;
    }
  }
  return true;
}
