/**
 * One upstream attempt's lifetime: an AbortController that fires when the client leaves, when the
 * attempt's total timeout passes, or when the first-token deadline passes before the first chunk.
 * The adapter gets the same timeouts in CallOptions; enforcing them here too means a slow or
 * misbehaving adapter can never hold a request past the route's limits.
 */
import type { Timeouts } from '../../common/snapshot.js';
import type { GatewayError } from '../errors.js';
import { ProviderError } from '../providers/types.js';
import { asProviderError, clientClosed } from './errors.js';

export class AttemptScope {
  readonly controller = new AbortController();
  private timedOut: 'first token' | 'total' | null = null;
  private totalTimer: NodeJS.Timeout | null;
  private firstTokenTimer: NodeJS.Timeout | null = null;
  private readonly onParentAbort = () => this.controller.abort(clientClosed());

  constructor(
    private readonly parent: AbortSignal,
    private readonly timeouts: Timeouts,
  ) {
    if (parent.aborted) this.controller.abort(clientClosed());
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
    this.totalTimer = timeouts.totalMs > 0 ? setTimeout(() => this.expire('total'), timeouts.totalMs) : null;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts the first-token clock (covers the call itself and the first chunk of a stream). */
  startFirstTokenClock(): void {
    if (this.timeouts.firstTokenMs > 0 && this.firstTokenTimer === null && !this.signal.aborted) {
      this.firstTokenTimer = setTimeout(() => this.expire('first token'), this.timeouts.firstTokenMs);
    }
  }

  stopFirstTokenClock(): void {
    if (this.firstTokenTimer) clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = null;
  }

  /** Resolves with `p`, or rejects as soon as this attempt is aborted (timeout or client gone). */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.signal.aborted) {
      p.catch(() => {});
      return Promise.reject(this.failure(this.signal.reason));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.failure(this.signal.reason));
      this.signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          this.signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          this.signal.removeEventListener('abort', onAbort);
          reject(this.failure(e));
        },
      );
    });
  }

  /** What an error during this attempt means: client gone, our timeout, or the provider's failure. */
  failure(err: unknown): ProviderError | GatewayError {
    if (this.parent.aborted) return clientClosed();
    if (this.timedOut) {
      const ms = this.timedOut === 'total' ? this.timeouts.totalMs : this.timeouts.firstTokenMs;
      return new ProviderError('timeout', `${this.timedOut} timeout after ${ms} ms`, null);
    }
    return asProviderError(err);
  }

  /** True when the client left (as opposed to a timeout or upstream failure). */
  get clientGone(): boolean {
    return this.parent.aborted;
  }

  /** Cancels the upstream request (if still running) and clears timers. */
  dispose(abortUpstream: boolean): void {
    if (this.totalTimer) clearTimeout(this.totalTimer);
    this.totalTimer = null;
    this.stopFirstTokenClock();
    this.parent.removeEventListener('abort', this.onParentAbort);
    if (abortUpstream && !this.signal.aborted) this.controller.abort(new Error('attempt finished'));
  }

  private expire(which: 'first token' | 'total'): void {
    if (this.signal.aborted) return;
    this.timedOut = which;
    this.controller.abort(new ProviderError('timeout', `${which} timeout`, null));
  }
}
