/**
 * Health of every upstream target seen by one pipeline: circuit breakers plus rate-limit
 * cool-downs (a 429 whose Retry-After is longer than the route is willing to wait parks the
 * target until then). Shared by the upstream stage (routing decisions) and the queue stage
 * (wakes queued work when a circuit leaves "open").
 */
import { CIRCUIT_STATE_VALUE, circuitState } from '../observability/metrics.js';
import { type BreakerConfig, CircuitBreaker, type CircuitStateName } from './circuit-breaker.js';

export interface TargetRef {
  provider: string;
  model: string;
}

export interface TargetHealthState {
  provider: string;
  model: string;
  state: CircuitStateName;
  consecutiveFailures: number;
  /** Epoch ms when an open circuit lets probes through, else null. */
  openUntil: number | null;
  /** Epoch ms until which the target is parked after a 429, else null. */
  coolingUntil: number | null;
}

type RecoveryListener = (target: TargetRef) => void;

export class TargetHealth {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly cooling = new Map<string, number>();
  /** Last breaker config seen per target, to report open-until without a route at hand. */
  private readonly configs = new Map<string, BreakerConfig>();
  /** Route name per target for the circuit-state metric's label. */
  private readonly routeOf = new Map<string, string>();
  private readonly recoveryListeners = new Set<RecoveryListener>();

  constructor(private readonly now: () => number = Date.now) {}

  breaker(t: TargetRef, cfg: BreakerConfig, route: string): CircuitBreaker {
    const key = keyOf(t);
    this.configs.set(key, cfg);
    this.routeOf.set(key, route);
    let b = this.breakers.get(key);
    if (!b) {
      b = new CircuitBreaker(t.provider, t.model, (breaker, previous) => this.changed(breaker, previous));
      this.breakers.set(key, b);
    }
    return b;
  }

  /** Parks a target until `until` (epoch ms) after a rate limit. */
  coolDown(t: TargetRef, until: number): void {
    const key = keyOf(t);
    if ((this.cooling.get(key) ?? 0) < until) this.cooling.set(key, until);
  }

  /** Epoch ms until which the target is parked, or 0. */
  coolingUntil(t: TargetRef): number {
    const key = keyOf(t);
    const until = this.cooling.get(key) ?? 0;
    if (until !== 0 && until <= this.now()) {
      this.cooling.delete(key);
      return 0;
    }
    return until;
  }

  /** Called when a circuit leaves "open" (half-open or closed): capacity may be back. */
  onRecovery(listener: RecoveryListener): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  /** Every known target's state (for /metrics, status endpoints and tests). */
  states(): TargetHealthState[] {
    const now = this.now();
    const out: TargetHealthState[] = [];
    for (const [key, b] of this.breakers) {
      const cfg = this.configs.get(key);
      if (cfg) b.available(now, cfg); // refresh open → half_open for an honest report
      const cool = this.coolingUntil(b);
      out.push({
        provider: b.provider,
        model: b.model,
        state: b.state,
        consecutiveFailures: b.consecutiveFailures,
        openUntil: b.state === 'open' && cfg ? b.recoveryAt(cfg) : null,
        coolingUntil: cool === 0 ? null : cool,
      });
    }
    return out;
  }

  private changed(b: CircuitBreaker, previous: CircuitStateName): void {
    const key = keyOf(b);
    circuitState.set(
      { route: this.routeOf.get(key) ?? '', provider: b.provider, model: b.model },
      CIRCUIT_STATE_VALUE[b.state],
    );
    if (previous === 'open' && b.state !== 'open') {
      for (const l of this.recoveryListeners) l({ provider: b.provider, model: b.model });
    }
  }
}

const keyOf = (t: TargetRef): string => `${t.provider}/${t.model}`;
