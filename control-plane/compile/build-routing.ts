/** Providers, routes and dated pricing. */
import { perMillionToPicoPerToken } from '../../common/money.js';
import type { PriceEntry, ProviderRecord, RetryOn, RouteRecord, Timeouts } from '../../common/snapshot.js';
import type { ConfigIndex } from '../config/index.js';
import type { TimeoutsDoc } from '../config/model.js';
import { durationOr, timestampMs } from '../config/units.js';
import { sortedMap, sortedRecord } from './canonical.js';
import {
  DEFAULT_BASE_URL,
  DEFAULT_CIRCUIT_BREAKER,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_RETRY,
  DEFAULT_RETRY_ON,
  DEFAULT_SIMULATED,
  DEFAULT_TIMEOUTS,
} from './defaults.js';

function timeouts(doc: TimeoutsDoc | undefined): Timeouts {
  return {
    connectMs: durationOr(doc?.connect, DEFAULT_TIMEOUTS.connectMs),
    firstTokenMs: durationOr(doc?.first_token, DEFAULT_TIMEOUTS.firstTokenMs),
    totalMs: durationOr(doc?.total, DEFAULT_TIMEOUTS.totalMs),
  };
}

export function buildProviders(index: ConfigIndex): Record<string, ProviderRecord> {
  const out: [string, ProviderRecord][] = [];
  for (const [id, { doc }] of index.providers) {
    const sim = doc.simulated;
    out.push([
      id,
      {
        id,
        type: doc.type,
        baseUrl: (doc.base_url ?? DEFAULT_BASE_URL[doc.type]).replace(/\/+$/, ''),
        credential: doc.api_key ?? null,
        headers: sortedMap(doc.headers),
        timeouts: timeouts(doc.timeouts),
        limits: { tpm: doc.limits?.tpm ?? null, rpm: doc.limits?.rpm ?? null },
        maxConnections: doc.max_connections ?? DEFAULT_MAX_CONNECTIONS,
        simulated:
          doc.type === 'simulated'
            ? {
                latencyMs: durationOr(sim?.latency, DEFAULT_SIMULATED.latencyMs),
                interChunkMs: durationOr(sim?.inter_chunk, DEFAULT_SIMULATED.interChunkMs),
                outputTokens: sim?.output_tokens ?? DEFAULT_SIMULATED.outputTokens,
                errorRate: sim?.error_rate ?? DEFAULT_SIMULATED.errorRate,
                seed: sim?.seed ?? DEFAULT_SIMULATED.seed,
              }
            : null,
      },
    ]);
  }
  return sortedRecord(out);
}

export function buildRoutes(index: ConfigIndex, gatewayMaxOutput: number): Record<string, RouteRecord> {
  const out: [string, RouteRecord][] = [];
  for (const [name, { doc }] of index.routes) {
    const onSet = new Set<RetryOn>(doc.retry?.on ?? DEFAULT_RETRY_ON);
    out.push([
      name,
      {
        name,
        kind: doc.type ?? 'chat',
        targets: doc.targets.map((t) => ({
          provider: t.provider,
          model: t.model,
          weight: t.weight ?? 1,
          contextWindow: t.context_window ?? null,
        })),
        fallback: doc.fallback ?? [],
        retry: {
          attempts: doc.retry?.attempts ?? DEFAULT_RETRY.attempts,
          baseDelayMs: durationOr(doc.retry?.base_delay, DEFAULT_RETRY.baseDelayMs),
          maxDelayMs: durationOr(doc.retry?.max_delay, DEFAULT_RETRY.maxDelayMs),
          // Canonical order, so reordering the YAML list does not change the version.
          on: DEFAULT_RETRY_ON.filter((r) => onSet.has(r)),
        },
        timeouts: timeouts(doc.timeouts),
        circuitBreaker: {
          failureThreshold: doc.circuit_breaker?.failure_threshold ?? DEFAULT_CIRCUIT_BREAKER.failureThreshold,
          cooldownMs: durationOr(doc.circuit_breaker?.cooldown, DEFAULT_CIRCUIT_BREAKER.cooldownMs),
          halfOpenProbes: doc.circuit_breaker?.half_open_probes ?? DEFAULT_CIRCUIT_BREAKER.halfOpenProbes,
        },
        contextWindowFallback: doc.context_window_fallback ?? null,
        onExhausted: doc.on_exhausted ?? 'reject',
        defaultMaxOutputTokens: doc.default_max_output_tokens ?? gatewayMaxOutput,
        limiterFailureMode: doc.limiter_failure_mode ?? null,
        tags: sortedMap(doc.tags),
      },
    ]);
  }
  return sortedRecord(out);
}

export function buildPricing(index: ConfigIndex): Record<string, PriceEntry[]> {
  const out: [string, PriceEntry[]][] = [];
  for (const [id, priced] of index.prices) {
    const entries = priced.entries.map((e) => {
      const input = perMillionToPicoPerToken(e.input);
      return {
        effectiveFrom: timestampMs(e.effective_from) ?? 0,
        inputPico: input,
        outputPico: perMillionToPicoPerToken(e.output),
        // Unstated cache rates fall back to the input rate: never under-charge.
        cachedInputPico: e.cached_input === undefined ? input : perMillionToPicoPerToken(e.cached_input),
        cacheWritePico: e.cache_write === undefined ? input : perMillionToPicoPerToken(e.cache_write),
      };
    });
    out.push([id, entries.sort((a, b) => a.effectiveFrom - b.effectiveFrom)]);
  }
  return sortedRecord(out);
}
