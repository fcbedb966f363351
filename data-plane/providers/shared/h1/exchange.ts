/**
 * One request/response on the pool: waits in the queue, runs on a connection, ends exactly once
 * (complete or failed). The handler is plain callbacks — no stream, promise or AbortSignal per
 * request — and its owner can pause/resume the socket (back-pressure) or abort at any time.
 */
import type { HeaderBag } from '../errors.js';
import type { Connection } from './connection.js';

export interface ResponseHandler {
  /** The final (non-1xx) status line and headers. */
  onHead(status: number, headers: HeaderBag): void;
  /** A piece of the decoded body (a view of the socket's buffer; copy it to keep it past the call). */
  onData(chunk: Buffer): void;
  /** The body ended; the connection is already back in the pool (or closed). */
  onComplete(): void;
  /** The request failed or was aborted; no other callback follows. */
  onError(err: unknown): void;
}

/** What the pool needs back from an exchange it holds in its queue. */
export interface ExchangeOwner {
  dequeue(ex: Exchange): void;
}

export class Exchange {
  /** The connection running it (null while queued and once ended). */
  conn: Connection | null = null;
  ended = false;
  /** A byte of the response arrived: a failure from now on is never retried. */
  received = false;
  /** Already re-sent once after a stale keep-alive connection failed. */
  retried = false;

  constructor(
    private readonly owner: ExchangeOwner,
    /** The serialized request (head and body), kept for the one stale-connection retry. */
    readonly payload: string,
    readonly noBody: boolean,
    readonly handler: ResponseHandler,
  ) {}

  /** Stops reading the response (TCP back-pressure reaches the server). */
  pause(): void {
    this.conn?.socket.pause();
  }

  resume(): void {
    this.conn?.socket.resume();
  }

  /**
   * Ends the exchange now: a running request's socket is destroyed (never reused: the rest of
   * its response would be read as the next one's), a queued one leaves the queue. The handler's
   * onError gets `reason` unless `notify` is false (the owner stopped listening).
   */
  abort(reason: unknown, notify = true): void {
    if (this.ended) return;
    this.ended = true;
    const conn = this.conn;
    if (conn !== null) {
      this.conn = null;
      conn.abandon(this);
    } else this.owner.dequeue(this);
    if (notify) this.handler.onError(reason);
  }

  /** Called by the connection: the response completed. */
  complete(): void {
    if (this.ended) return;
    this.ended = true;
    this.conn = null;
    this.handler.onComplete();
  }

  /** Called by the connection or pool: the request failed. */
  fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.conn = null;
    this.handler.onError(err);
  }
}
