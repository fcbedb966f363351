/**
 * The generic UpstreamStream: reads the SSE body of an open upstream response, feeds each event
 * to a provider-specific translator and yields the OpenAI chunks it produces, one event at a time
 * (so a chunk is never held back behind a later error). Pull-based: when the consumer is slow the
 * body is not read, so TCP back-pressure reaches the provider instead of a buffer growing here.
 * Breaking out of the loop (or an abort) destroys the upstream body immediately.
 */
import type { Readable } from 'node:stream';
import type { ChatChunk } from '../../../common/openai-types.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import { ProviderError, type UpstreamStream } from '../types.js';
import type { OpenStream } from './http.js';
import { type SseEvent, SseParser } from './sse-parser.js';
import type { UsageTracker } from './usage.js';

export interface StreamTranslator {
  /** Translates one SSE event into zero or more chunks; throws ProviderError for error events. */
  onEvent(ev: SseEvent, out: ChatChunk[], midStream: boolean): void;
  /** The body ended: push closing chunks, or throw when the stream was cut short. */
  onEnd(out: ChatChunk[], midStream: boolean): void;
  /** True once the provider signalled a complete response ([DONE], message_stop, final chunk). */
  readonly done: boolean;
}

export class SseUpstreamStream implements UpstreamStream {
  private iterated = false;

  constructor(
    private readonly open: OpenStream,
    private readonly translator: StreamTranslator,
    private readonly tracker: UsageTracker,
  ) {}

  usage(): NormalizedUsage {
    return this.tracker.usage();
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatChunk> {
    if (this.iterated) throw new Error('an UpstreamStream can be iterated only once');
    this.iterated = true;
    const gen = this.iterate();
    // return() on a generator that never started skips its finally: release the upstream here too.
    const genReturn = gen.return.bind(gen);
    gen.return = (value) => {
      this.release();
      return genReturn(value);
    };
    return gen;
  }

  /** Stops the timers and closes the upstream body (idempotent). */
  private release(): void {
    this.open.attempt.finish();
    discard(this.open.body);
  }

  private async *iterate(): AsyncGenerator<ChatChunk> {
    const { body, attempt } = this.open;
    const { translator } = this;
    const parser = new SseParser();
    const out: ChatChunk[] = [];
    let yielded = false;
    let ended = false;
    try {
      for await (const buf of body) {
        for (const ev of parser.push(buf as Buffer)) {
          if (translator.done) continue;
          // Aborted while the consumer held a chunk: stop before yielding the rest of this buffer.
          if (attempt.signal.aborted) attempt.throwIfAborted(yielded);
          translator.onEvent(ev, out, yielded);
          if (out.length > 0) {
            if (!yielded) {
              attempt.firstToken();
              yielded = true;
            }
            for (let i = 0; i < out.length; i++) yield out[i];
            out.length = 0;
          }
        }
      }
      if (!translator.done) {
        for (const ev of parser.end()) translator.onEvent(ev, out, yielded);
        translator.onEnd(out, yielded);
        for (let i = 0; i < out.length; i++) {
          yielded = true;
          yield out[i];
        }
        out.length = 0;
      }
      ended = true;
    } catch (err) {
      // A complete response whose connection then misbehaved is still a complete response.
      if (translator.done && !(err instanceof ProviderError)) return;
      throw attempt.mapError(err, yielded);
    } finally {
      attempt.finish();
      if (!ended) discard(body);
    }
  }
}

/**
 * Closes an upstream body we will not read to its end. undici's body emits an 'error'
 * (RequestAbortedError) when destroyed early; with no listener left that would be an uncaught
 * exception taking the process down, so a no-op listener is attached first.
 */
export function discard(body: Readable): void {
  if (body.destroyed || body.readableEnded) return;
  body.on('error', ignore);
  body.destroy();
}
const ignore = (): void => {};

/** A stream that ended without the provider's end marker: the answer is incomplete. */
export function truncated(provider: string, midStream: boolean): ProviderError {
  return new ProviderError(
    'connection',
    `${provider} stream ended before the response was complete`,
    null,
    null,
    midStream,
  );
}
