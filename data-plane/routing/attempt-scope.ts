/**
 * One upstream attempt's deadlines, as seen by the router. The adapter gets the client's abort
 * signal and the route's timeouts in CallOptions and enforces them itself (aborting its request
 * when one passes); the router keeps the same deadlines, a few milliseconds later, as a safety net
 * so that an adapter that hangs can never hold a request past the route's limits. No extra
 * AbortController per attempt: creating AbortSignals is one of the costliest things on this path.
 */
import type { Timeouts } from '../../common/snapshot.js';
import type { GatewayError } from '../errors.js';
import { ProviderError } from '../providers/types.js';
import { asProviderError, clientClosed } from './errors.js';

/** Lets the adapter's own (more precise) timeout error win when both fire. */
export const SAFETY_GRACE_MS = 25;

export class AttemptScope {
  private timedOut: 'first token' | 'total' | null = null;
  private totalTimer: NodeJS.Timeout | null = null;
  private firstTokenTimer: NodeJS.Timeout | null = null;
  /** Rejects the race in progress (at most one at a time). */
  private interruptPending: ((err: unknown) => void) | null = null;
  private readonly onParentAbort = () => this.interrupt();

  constructor(
    private readonly parent: AbortSignal,
    private readonly timeouts: Timeouts,
  ) {
    if (!parent.aborted) parent.addEventListener('abort', this.onParentAbort, { once: true });
    if (timeouts.totalMs > 0) {
      this.totalTimer = setTimeout(() => this.expire('total'), timeouts.totalMs + SAFETY_GRACE_MS);
    }
  }

  /** The signal the adapter gets: the client's (the adapter links its own request to it). */
  get signal(): AbortSignal {
    return this.parent;
  }

  /** Starts the first-token clock (covers the call itself and the first token of a stream). */
  startFirstTokenClock(): void {
    if (this.timeouts.firstTokenMs > 0 && this.firstTokenTimer === null) {
      this.firstTokenTimer = setTimeout(() => this.expire('first token'), this.timeouts.firstTokenMs + SAFETY_GRACE_MS);
    }
  }

  stopFirstTokenClock(): void {
    if (this.firstTokenTimer) clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = null;
  }

  /** Resolves with `p`, or rejects as soon as the client leaves or a deadline passes. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.parent.aborted || this.timedOut) {
      p.catch(() => {});
      return Promise.reject(this.failure(null));
    }
    return new Promise<T>((resolve, reject) => {
      this.interruptPending = (err) => {
        p.catch(() => {});
        reject(err);
      };
      p.then(
        (v) => {
          this.interruptPending = null;
          resolve(v);
        },
        (e) => {
          this.interruptPending = null;
          reject(this.failure(e));
        },
      );
    });
  }

  /** What an error during this attempt means: client gone, a deadline, or the provider's failure. */
  failure(err: unknown): ProviderError | GatewayError {
    if (this.parent.aborted) return clientClosed();
    if (err instanceof ProviderError) return err;
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

  /** Clears timers and listeners. */
  dispose(): void {
    if (this.totalTimer) clearTimeout(this.totalTimer);
    this.totalTimer = null;
    this.stopFirstTokenClock();
    this.parent.removeEventListener('abort', this.onParentAbort);
    this.interruptPending = null;
  }

  private expire(which: 'first token' | 'total'): void {
    this.timedOut = which;
    this.interrupt();
  }

  private interrupt(): void {
    const pending = this.interruptPending;
    this.interruptPending = null;
    pending?.(this.failure(null));
  }
}
