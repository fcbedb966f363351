/**
 * The generic UpstreamStream: reads the SSE body of an open upstream response, feeds each event
 * to a provider-specific translator and yields the OpenAI chunks it produces, one event at a time
 * (so a chunk is never held back behind a later error). Pull-based: when the consumer is slow the
 * body is not read, so TCP back-pressure reaches the provider instead of a buffer growing here.
 * Breaking out of the loop (or an abort) destroys the upstream body immediately.
 */
import type { ChatChunk } from '../../../common/openai-types.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import type { SyncPullIterator } from '../../pipeline/stream-chunks.js';
import { ProviderError, type UpstreamStream } from '../types.js';
import type { BodySink } from './h1/body.js';
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
    return new SseReader(this.open, this.translator);
  }
}

const DONE: IteratorResult<ChatChunk> = { done: true, value: undefined };

/**
 * The iterator behind SseUpstreamStream, hand-written rather than an async generator over a
 * Readable: the body (h1/body.ts) calls onData with each upstream buffer, which is parsed and
 * translated in one go, and the chunks are handed out from a queue, so a buffer carrying many
 * events costs one callback instead of a generator resumption and a stream-iterator promise per
 * event.
 *
 * - Pull-based: the body is paused while chunks wait in the queue and resumed only when the
 *   consumer asks for more, so a slow consumer slows the upstream read (TCP back-pressure).
 * - A translator error (error event, invalid JSON) is thrown after the chunks that preceded it.
 * - Once the provider signalled the end (`translator.done`), iteration ends at once; what is left
 *   of the body (usually nothing but its end) is read and dropped so the connection is reused;
 *   a body that does not end within DRAIN_MS after that is closed instead.
 * - An abort or timeout while the consumer held a chunk stops before the rest is handed out.
 * - return() (consumer stopped early) releases the timers and destroys the body.
 */
class SseReader implements SyncPullIterator<ChatChunk>, BodySink {
  private readonly parser = new SseParser();
  private readonly queue: ChatChunk[] = [];
  private head = 0;
  /** Chunks were produced (handed out or queued): later failures are mid-stream. */
  private produced = false;
  /** Thrown once the queue is empty. */
  private failure: unknown = null;
  /** No more chunks will be produced (end of body, provider's end marker, failure, return()). */
  private ended = false;
  private released = false;
  private waiter: (() => void) | null = null;

  constructor(
    private readonly open: OpenStream,
    private readonly translator: StreamTranslator,
  ) {
    // Starts paused: nothing is read until the consumer asks for the first chunk.
    open.body.attach(this);
  }

  next(): Promise<IteratorResult<ChatChunk>> {
    let r: IteratorResult<ChatChunk> | undefined;
    try {
      r = this.nextSync();
    } catch (err) {
      return Promise.reject(err);
    }
    if (r !== undefined) return Promise.resolve(r);
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
      this.open.body.resume();
    }).then(() => this.next());
  }

  /** What next() resolves with when no read is needed; undefined when it must wait for the body. */
  nextSync(): IteratorResult<ChatChunk> | undefined {
    const { attempt } = this.open;
    // Aborted (or timed out) while the consumer held a chunk: stop before handing out the rest.
    if (attempt.signal.aborted && !this.translator.done && !this.released) {
      this.queue.length = 0;
      this.head = 0;
      this.fail(attempt.mapError(attempt.signal.reason, this.produced));
    }
    if (this.head < this.queue.length) return this.take();
    if (this.failure !== null) {
      const err = this.failure;
      this.failure = null;
      this.fail(err);
    }
    if (this.ended) {
      this.release();
      return DONE;
    }
    return undefined;
  }

  return(): Promise<IteratorResult<ChatChunk>> {
    this.ended = true;
    this.queue.length = 0;
    this.head = 0;
    this.release();
    return Promise.resolve(DONE);
  }

  private take(): IteratorResult<ChatChunk> {
    const value = this.queue[this.head++]!;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return { done: false, value };
  }

  private fail(err: unknown): never {
    this.ended = true;
    this.release();
    throw err;
  }

  private wake(): void {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    w();
  }

  readonly onData = (buf: Buffer): void => {
    if (this.ended) return; // after the end marker or return(): the rest of the body is dropped
    const { translator, queue } = this;
    try {
      for (const ev of this.parser.push(buf)) {
        if (translator.done) break;
        translator.onEvent(ev, queue, this.produced || queue.length > this.head);
      }
    } catch (err) {
      this.stop(this.open.attempt.mapError(err, this.produced || queue.length > this.head));
      return;
    }
    if (queue.length > this.head) this.firstChunk();
    if (translator.done) {
      // Complete: read what is left of the body (normally just its end) so the connection is reused.
      this.ended = true;
      this.open.attempt.finish();
    } else if (queue.length > this.head) this.open.body.pause();
    this.wake();
  };

  readonly onEnd = (): void => {
    if (!this.ended) {
      const { translator, queue } = this;
      try {
        if (!translator.done) {
          for (const ev of this.parser.end()) translator.onEvent(ev, queue, this.produced || queue.length > this.head);
          translator.onEnd(queue, this.produced || queue.length > this.head);
        }
        if (queue.length > this.head) this.firstChunk();
      } catch (err) {
        this.failure = this.open.attempt.mapError(err, this.produced || queue.length > this.head);
      }
      this.ended = true;
    }
    this.open.attempt.finish();
    this.wake();
  };

  readonly onError = (err: unknown): void => {
    // A complete response whose connection then misbehaved is still a complete response.
    if (this.translator.done || this.released) return;
    this.stop(this.open.attempt.mapError(err, this.produced || this.queue.length > this.head));
  };

  private stop(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = err;
    this.wake();
  }

  private firstChunk(): void {
    if (this.produced) return;
    this.produced = true;
    this.open.attempt.firstToken();
  }

  /** Stops the timers and, unless it ended by itself, closes the upstream body (idempotent). */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.open.attempt.finish();
    const { body } = this.open;
    if (this.translator.done) {
      // Keep reading (and dropping) to the end so the keep-alive connection goes back to the pool.
      body.resume();
      if (!body.complete) setTimeout(() => body.destroy(), DRAIN_MS).unref();
      return;
    }
    body.destroy();
  }
}

/** How long the rest of a body may take after the provider's end marker before its connection is closed. */
const DRAIN_MS = 2_000;

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
