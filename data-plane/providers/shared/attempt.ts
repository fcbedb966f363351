/**
 * One upstream attempt's lifetime: links the caller's AbortSignal to the attempt's own signal and
 * runs the first-token and total timers. When a timer fires it aborts the request (which destroys
 * the socket/body) and remembers why, so the error surfaces as ProviderError('timeout') rather
 * than as a generic abort.
 *
 * The attempt's signal is a LightSignal (data-plane/light-signal.ts), not an AbortController's:
 * a Node AbortController (an EventTarget) costs ~10 µs to create and listen to, once per upstream
 * call. The HTTP client
 * (http.ts → h1/) registers one plain callback on it that destroys the request's socket.
 */
import type { ProviderType, Timeouts } from '../../../common/snapshot.js';
import { LightSignal } from '../../light-signal.js';
import { ProviderError } from '../types.js';
import { networkError } from './errors.js';

type TimeoutKind = 'first_token' | 'total';

export class Attempt {
  readonly controller = new LightSignal();
  private timedOut: TimeoutKind | null = null;
  private firstTimer: NodeJS.Timeout | undefined;
  private totalTimer: NodeJS.Timeout | undefined;
  private readonly onCallerAbort = () => this.controller.abort(this.callerSignal.reason);
  readonly startedAt = performance.now();

  constructor(
    private readonly type: ProviderType,
    private readonly callerSignal: AbortSignal,
    private readonly timeouts: Timeouts,
  ) {
    if (callerSignal.aborted) {
      this.controller.abort(callerSignal.reason);
      return;
    }
    callerSignal.addEventListener('abort', this.onCallerAbort, { once: true });
    if (timeouts.firstTokenMs > 0) {
      this.firstTimer = setTimeout(() => this.expire('first_token'), timeouts.firstTokenMs);
    }
    if (timeouts.totalMs > 0) {
      this.totalTimer = setTimeout(() => this.expire('total'), timeouts.totalMs);
    }
  }

  get signal(): LightSignal {
    return this.controller;
  }

  /** The first token (stream) or the first body byte (JSON) arrived: stop the first-token timer. */
  firstToken(): void {
    if (this.firstTimer) {
      clearTimeout(this.firstTimer);
      this.firstTimer = undefined;
    }
  }

  /** Ends the attempt (success, failure or abort): timers and listeners are released. */
  finish(): void {
    this.firstToken();
    if (this.totalTimer) {
      clearTimeout(this.totalTimer);
      this.totalTimer = undefined;
    }
    this.callerSignal.removeEventListener('abort', this.onCallerAbort);
  }

  /**
   * What to throw for `err`: the caller's abort reason when the caller aborted (not a provider
   * failure: the router must not count it against the target), a timeout when one of our timers
   * fired, else the transport error mapped to connection/timeout.
   */
  mapError(err: unknown, midStream: boolean): unknown {
    if (err instanceof ProviderError) return err;
    if (this.timedOut) {
      const ms = this.timedOut === 'first_token' ? this.timeouts.firstTokenMs : this.timeouts.totalMs;
      const what = this.timedOut === 'first_token' ? 'first token' : 'total';
      return new ProviderError(
        'timeout',
        `${this.type} upstream ${what} timeout after ${ms} ms`,
        null,
        null,
        midStream,
      );
    }
    if (this.callerSignal.aborted) return this.callerSignal.reason ?? err;
    return networkError(this.type, err, midStream);
  }

  /** Throws (mapped) when the attempt was already aborted or timed out. */
  throwIfAborted(midStream: boolean): void {
    if (this.controller.aborted) throw this.mapError(this.controller.reason, midStream);
  }

  private expire(kind: TimeoutKind): void {
    if (this.controller.aborted) return;
    this.timedOut = kind;
    this.controller.abort(new Error(`${kind} timeout`));
  }
}
