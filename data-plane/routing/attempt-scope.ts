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
  /**
   * One timer for both deadlines, armed for the earlier one (a JSON call ends before either
   * fires, so it costs one timer rather than two); re-armed for the total when the first token came.
   */
  private timer: NodeJS.Timeout | null = null;
  private timerKind: 'first token' | 'total' | null = null;
  private totalAt = Number.POSITIVE_INFINITY;
  private firstTokenAt = Number.POSITIVE_INFINITY;
  private firstTokenStarted = false;
  /** Rejects the race in progress (at most one at a time). */
  private interruptPending: ((err: unknown) => void) | null = null;
  private readonly onParentAbort = () => this.interrupt();
  private readonly onTimer = () => {
    this.timer = null;
    const kind = this.timerKind;
    this.timerKind = null;
    if (kind) this.expire(kind);
  };

  constructor(
    private readonly parent: AbortSignal,
    private readonly timeouts: Timeouts,
    /** Start the first-token clock at once (what startFirstTokenClock() right after would do). */
    firstTokenClock = false,
  ) {
    if (!parent.aborted) parent.addEventListener('abort', this.onParentAbort, { once: true });
    const now = Date.now();
    if (timeouts.totalMs > 0) this.totalAt = now + timeouts.totalMs + SAFETY_GRACE_MS;
    if (firstTokenClock) this.startFirstTokenClock(now);
    else this.arm(now);
  }

  /** The signal the adapter gets: the client's (the adapter links its own request to it). */
  get signal(): AbortSignal {
    return this.parent;
  }

  /** Starts the first-token clock (covers the call itself and the first token of a stream). */
  startFirstTokenClock(now = Date.now()): void {
    if (this.firstTokenStarted) return;
    this.firstTokenStarted = true;
    if (this.timeouts.firstTokenMs > 0) this.firstTokenAt = now + this.timeouts.firstTokenMs + SAFETY_GRACE_MS;
    this.arm(now);
  }

  stopFirstTokenClock(): void {
    if (this.firstTokenAt === Number.POSITIVE_INFINITY) return;
    this.firstTokenAt = Number.POSITIVE_INFINITY;
    if (this.timerKind === 'first token') this.arm(Date.now());
  }

  /** (Re)arms the timer for the earliest pending deadline. */
  private arm(now: number): void {
    const kind = this.firstTokenAt < this.totalAt ? 'first token' : 'total';
    const at = kind === 'first token' ? this.firstTokenAt : this.totalAt;
    if (this.timer && this.timerKind === kind) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerKind = null;
    if (at === Number.POSITIVE_INFINITY || this.timedOut) return;
    this.timerKind = kind;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - now));
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
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerKind = null;
    this.totalAt = Number.POSITIVE_INFINITY;
    this.firstTokenAt = Number.POSITIVE_INFINITY;
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
