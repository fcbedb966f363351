/**
 * Picks the target for the next attempt on one route: weighted random among targets that are
 * healthy (circuit not open, not parked after a 429), whose context window fits the prompt, and
 * whose provider account admits the estimated tokens. Targets that already failed during this
 * request are avoided while an untried healthy one exists.
 */
import type { ProviderRecord, RouteRecord, RouteTarget, Snapshot } from '../../common/snapshot.js';
import type { ProviderAccountGate } from '../pipeline/deps.js';
import type { Rng } from './backoff.js';
import type { TargetHealth } from './target-health.js';
import { pickWeighted } from './weighted.js';

/** Retry hint when a provider-account gate refuses (its windows are not visible from here). */
export const GATE_RETRY_MS = 1_000;

export type Choice =
  | { type: 'target'; target: RouteTarget; provider: ProviderRecord }
  | {
      type: 'none';
      /** Epoch ms when the soonest unavailable target is expected back. */
      recoveryAt: number;
      /** An open circuit (not only rate limits) made a target unavailable. */
      sawOpenCircuit: boolean;
      /** Every target is too small for the prompt. */
      contextTooLarge: boolean;
    };

export interface ChooseInput {
  snapshot: Snapshot;
  route: RouteRecord;
  /** "<provider>/<model>" of targets that failed during this request. */
  failed: ReadonlySet<string>;
  promptTokens: number;
  estimatedTokens: number;
  health: TargetHealth;
  gate: ProviderAccountGate;
  rng: Rng;
  now: number;
}

export const targetKey = (t: { provider: string; model: string }): string => `${t.provider}/${t.model}`;

/**
 * Synchronous unless a provider-account gate has to ask a shared backend: the usual request (no
 * account limits, or the in-process limiter) gets its Choice without a promise hop.
 */
export function chooseTarget(input: ChooseInput): Choice | Promise<Choice> {
  const { snapshot, route, health, now } = input;
  let recoveryAt = Number.POSITIVE_INFINITY;
  let sawOpenCircuit = false;
  let fitting = 0;
  const healthy: RouteTarget[] = [];
  for (const t of route.targets) {
    if (t.weight <= 0 || !snapshot.providers[t.provider]) continue;
    if (t.contextWindow !== null && input.promptTokens > t.contextWindow) continue;
    fitting++;
    const breaker = health.breaker(t, route.circuitBreaker, route.name);
    if (!breaker.available(now, route.circuitBreaker)) {
      sawOpenCircuit = true;
      recoveryAt = Math.min(recoveryAt, breaker.recoveryAt(route.circuitBreaker) || now);
      continue;
    }
    const cooling = health.coolingUntil(t);
    if (cooling > now) {
      recoveryAt = Math.min(recoveryAt, cooling);
      continue;
    }
    healthy.push(t);
  }
  // No failure yet (the usual first attempt): every healthy target is untried.
  const untried = input.failed.size === 0 ? healthy : healthy.filter((t) => !input.failed.has(targetKey(t)));
  let refused: Set<string> | null = null;
  /** Drops every target on a refused provider: the gate is per provider account. */
  const refuse = (t: RouteTarget, pool: RouteTarget[]): RouteTarget[] => {
    refused ??= new Set();
    refused.add(t.provider);
    recoveryAt = Math.min(recoveryAt, now + GATE_RETRY_MS);
    return pool.filter((x) => x.provider !== t.provider);
  };
  const pickFrom = (candidates: RouteTarget[]): RouteTarget | null | Promise<RouteTarget | null> => {
    const skip = refused;
    let pool = skip === null ? candidates : candidates.filter((x) => !skip.has(x.provider));
    while (pool.length > 0) {
      const t = pickWeighted(pool, input.rng);
      if (!t) return null;
      const admitted = input.gate.tryAcquire(snapshot, t.provider, input.estimatedTokens);
      if (admitted === true) return t;
      if (admitted !== false) {
        const rest = pool;
        return admitted.then((ok) => (ok ? t : pickFrom(refuse(t, rest))));
      }
      pool = refuse(t, pool);
    }
    return null;
  };
  const orHealthy = (chosen: RouteTarget | null): RouteTarget | null | Promise<RouteTarget | null> =>
    chosen ?? (untried.length < healthy.length ? pickFrom(healthy) : null);
  const toChoice = (chosen: RouteTarget | null): Choice => {
    if (chosen) return { type: 'target', target: chosen, provider: snapshot.providers[chosen.provider] };
    return {
      type: 'none',
      recoveryAt: Number.isFinite(recoveryAt) ? recoveryAt : now + GATE_RETRY_MS,
      sawOpenCircuit,
      contextTooLarge: fitting === 0 && route.targets.some((t) => t.contextWindow !== null),
    };
  };
  const first = pickFrom(untried);
  if (first instanceof Promise) return first.then(orHealthy).then(toChoice);
  const chosen = orHealthy(first);
  return chosen instanceof Promise ? chosen.then(toChoice) : toChoice(chosen);
}

/** True when a healthy target exists that has not failed yet (then a retry needs no backoff). */
export function hasUntriedTarget(input: Omit<ChooseInput, 'gate' | 'rng' | 'estimatedTokens'>): boolean {
  const { route, health, now } = input;
  return route.targets.some(
    (t) =>
      t.weight > 0 &&
      input.snapshot.providers[t.provider] !== undefined &&
      !input.failed.has(targetKey(t)) &&
      (t.contextWindow === null || input.promptTokens <= t.contextWindow) &&
      health.breaker(t, route.circuitBreaker, route.name).available(now, route.circuitBreaker) &&
      health.coolingUntil(t) <= now,
  );
}
