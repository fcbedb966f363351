/**
 * Provider-account limits (ProviderRecord.limits: TPM/RPM of one upstream account, shared by
 * every route and every replica using it). The router asks before choosing a target and settles
 * with the real token count afterwards. Same backend as the limits stage (Redis when configured,
 * so replicas share the account's window). A backend outage admits: the provider's own 429s and
 * the router's fallbacks still protect the account, and refusing all traffic would be worse.
 */
import type { Snapshot } from '../../common/snapshot.js';
import type { ProviderAccountGate, StageDeps } from '../pipeline/deps.js';
import { sharedLimiterBackend } from './backend.js';
import { MemoryLimiter } from './memory-limiter.js';
import { limiterUnavailable } from './metrics.js';
import { PeriodCache, TRACKING_PERIOD } from './period.js';
import type { Limiter, NodeSpec, Reservation } from './types.js';

let seq = 0;

function providerSpec(snapshot: Snapshot, providerId: string, now: number, periods: PeriodCache): NodeSpec | null {
  const p = snapshot.providers[providerId];
  if (!p || (p.limits.tpm === null && p.limits.rpm === null)) return null;
  const w = periods.window(now, TRACKING_PERIOD.period, TRACKING_PERIOD.timezone);
  return {
    id: `provider:${providerId}`,
    rpm: p.limits.rpm,
    tpm: p.limits.tpm,
    tpd: null,
    maxConcurrent: null,
    budgetMicros: null,
    periodStart: w.start,
    periodEnd: w.end,
  };
}

export function providerAccountGate(
  limiter: Limiter,
  onError: (err: unknown, op: string) => void = () => {},
  clock: () => number = Date.now,
): ProviderAccountGate {
  const periods = new PeriodCache();
  const memory = limiter instanceof MemoryLimiter ? limiter : null;
  return {
    tryAcquire(snapshot, providerId, tokens) {
      const now = clock();
      const spec = providerSpec(snapshot, providerId, now, periods);
      if (!spec) return true; // no account limits: no I/O at all
      const request = {
        id: `pg${seq++}`,
        scope: spec.id,
        nodes: [spec],
        tokens: Math.max(0, tokens),
        micros: 0,
        now,
        leaseMs: 0,
        hold: false,
      };
      try {
        if (memory) return memory.reserveSync(request).ok;
      } catch (err) {
        onError(err, 'acquire');
        return true;
      }
      return limiter.reserve(request).then(
        (out) => out.ok,
        (err: unknown) => {
          onError(err, 'acquire');
          return true;
        },
      );
    },
    settle(snapshot, providerId, reservedTokens, actualTokens) {
      if (reservedTokens === actualTokens) return;
      const now = clock();
      const spec = providerSpec(snapshot, providerId, now, periods);
      if (!spec) return;
      // The gate's contract carries no reservation time: the correction lands in the current
      // sub-bucket (the window sum is the same while the original one is still counted).
      const res: Reservation = {
        id: `pg${seq++}`,
        scope: spec.id,
        nodes: [spec],
        tokens: reservedTokens,
        micros: 0,
        at: now,
        hold: false,
      };
      limiter.reconcile(res, { tokens: actualTokens, micros: 0 }, now, []).catch((err) => onError(err, 'settle'));
    },
  };
}

export async function createProviderAccountGate(deps: Omit<StageDeps, 'providerGate'>): Promise<ProviderAccountGate> {
  const backend = await sharedLimiterBackend(deps.config, deps.logger);
  let lastLog = 0;
  return providerAccountGate(backend.limiter, (err, op) => {
    limiterUnavailable.inc({ backend: backend.limiter.backend, op: `provider-${op}`, mode: 'open' });
    const now = Date.now();
    if (now - lastLog > 10_000) {
      lastLog = now;
      deps.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        'provider gate: limiter unavailable, admitting',
      );
    }
  });
}
