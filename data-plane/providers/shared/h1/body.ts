/**
 * A streaming response body without a Node Readable: the exchange's handler pushes decoded body
 * buffers in, one sink (the SSE reader) takes them out. It starts paused, because the body can
 * begin in the same socket read as the headers, before the sink is attached. While paused,
 * arriving buffers are held; once HIGH_WATER bytes are held the socket itself is paused, so TCP
 * back-pressure reaches the server. Pausing the socket is a syscall pair (readStop/readStart),
 * so a consumer that pauses between every SSE buffer does not touch the socket at all.
 */
import type { HeaderBag } from '../errors.js';
import type { Exchange, ResponseHandler } from './exchange.js';

export interface BodySink {
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(err: unknown): void;
}

const ABANDONED = new Error('response body abandoned');
/** Bytes held for a paused consumer before the socket is paused (one socket read is ≤ 64 KiB). */
export const HIGH_WATER = 64 * 1024;

export class StreamingBody {
  private sink: BodySink | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private socketPaused = false;
  private paused = true;
  private ended = false;
  private arrived = false;
  private failure: unknown = null;
  private exchange: Exchange | null = null;

  /** Links the exchange whose body this is (set once the request started). */
  bind(ex: Exchange): void {
    this.exchange = ex;
  }

  /** The whole body arrived (the connection went back to the pool). */
  get complete(): boolean {
    return this.arrived;
  }

  /** Attaches the consumer; nothing is delivered until resume(). */
  attach(sink: BodySink): void {
    this.sink = sink;
  }

  pause(): void {
    this.paused = true;
  }

  /** Delivers what is held, then the end or failure, then lets the socket flow again. */
  resume(): void {
    if (!this.paused || this.sink === null) return;
    this.paused = false;
    const sink = this.sink;
    while (this.pending.length > 0 && !this.paused) {
      const chunk = this.pending.shift()!;
      this.pendingBytes -= chunk.length;
      sink.onData(chunk);
    }
    if (this.paused || this.pending.length > 0) return;
    if (this.failure !== null) {
      const err = this.failure;
      this.failure = null;
      sink.onError(err);
    } else if (this.ended) {
      this.ended = false; // deliver the end once
      this.sink = null;
      sink.onEnd();
    } else if (this.socketPaused) {
      this.socketPaused = false;
      this.exchange?.resume();
    }
  }

  /** Stops reading: an incomplete body's connection is destroyed, never reused. */
  destroy(): void {
    this.sink = null;
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.exchange?.abort(ABANDONED, false);
  }

  /** The handler side, given to the pool once the head arrived (see http.ts). */
  push(chunk: Buffer): void {
    if (this.paused || this.pending.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes >= HIGH_WATER && !this.socketPaused) {
        this.socketPaused = true;
        this.exchange?.pause();
      }
    } else this.sink!.onData(chunk);
  }

  end(): void {
    this.arrived = true;
    if (this.paused || this.pending.length > 0 || this.sink === null) this.ended = true;
    else {
      const sink = this.sink;
      this.sink = null;
      sink.onEnd();
    }
  }

  fail(err: unknown): void {
    if (this.paused || this.pending.length > 0 || this.sink === null) this.failure = err;
    else {
      const sink = this.sink;
      this.sink = null;
      sink.onError(err);
    }
  }
}

/** Adapts a StreamingBody to the exchange callbacks after the head (used by openStream). */
export function bodyHandler(
  body: StreamingBody,
  onHead: (status: number, headers: HeaderBag) => void,
): ResponseHandler {
  return {
    onHead,
    onData: (chunk) => body.push(chunk),
    onComplete: () => body.end(),
    onError: (err) => body.fail(err),
  };
}
