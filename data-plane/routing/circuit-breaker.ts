/**
 * A circuit breaker for one upstream target (provider + model).
 *
 *   closed ──(failureThreshold consecutive failures)──▶ open
 *   open ──(cooldownMs elapsed)──▶ half_open: at most `halfOpenProbes` requests at a time
 *   half_open ──(a probe succeeds)──▶ closed      half_open ──(a probe fails)──▶ open
 *
 * The thresholds come from the route making the call (read at each event), so a snapshot swap
 * changes them without resetting state. Time is passed in so tests can drive it.
 */
export type CircuitStateName = 'closed' | 'open' | 'half_open';

export interface BreakerConfig {
  failureThreshold: number;
  cooldownMs: number;
  halfOpenProbes: number;
}

export class CircuitBreaker {
  state: CircuitStateName = 'closed';
  consecutiveFailures = 0;
  openedAt = 0;
  probesInFlight = 0;

  constructor(
    readonly provider: string,
    readonly model: string,
    private readonly onChange: (breaker: CircuitBreaker, previous: CircuitStateName) => void,
  ) {}

  /** True when a request may be sent now (closed, or a free half-open probe slot). */
  available(now: number, cfg: BreakerConfig): boolean {
    this.refresh(now, cfg);
    if (this.state === 'closed') return true;
    if (this.state === 'half_open') return this.probesInFlight < Math.max(1, cfg.halfOpenProbes);
    return false;
  }

  /** Marks the start of an attempt; returns true when the attempt is a half-open probe. */
  begin(now: number, cfg: BreakerConfig): boolean {
    this.refresh(now, cfg);
    if (this.state !== 'half_open') return false;
    this.probesInFlight++;
    return true;
  }

  success(probe: boolean): void {
    if (probe) this.probesInFlight = Math.max(0, this.probesInFlight - 1);
    this.consecutiveFailures = 0;
    if (this.state !== 'closed') this.transition('closed');
  }

  failure(now: number, cfg: BreakerConfig, probe: boolean): void {
    if (probe) this.probesInFlight = Math.max(0, this.probesInFlight - 1);
    if (this.state === 'open') return;
    if (this.state === 'half_open') {
      this.open(now);
      return;
    }
    this.consecutiveFailures++;
    if (cfg.failureThreshold > 0 && this.consecutiveFailures >= cfg.failureThreshold) this.open(now);
  }

  /** The attempt ended without telling anything about the target's health (client abort, 400). */
  neutral(probe: boolean): void {
    if (probe) this.probesInFlight = Math.max(0, this.probesInFlight - 1);
  }

  /** Epoch ms when an open circuit lets probes through (0 when not open). */
  recoveryAt(cfg: BreakerConfig): number {
    return this.state === 'open' ? this.openedAt + cfg.cooldownMs : 0;
  }

  private open(now: number): void {
    this.openedAt = now;
    this.probesInFlight = 0;
    this.transition('open');
  }

  private refresh(now: number, cfg: BreakerConfig): void {
    if (this.state === 'open' && now >= this.openedAt + cfg.cooldownMs) {
      this.probesInFlight = 0;
      this.transition('half_open');
    }
  }

  private transition(to: CircuitStateName): void {
    const previous = this.state;
    this.state = to;
    this.onChange(this, previous);
  }
}
