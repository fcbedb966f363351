/**
 * The data plane's Prometheus metrics. One registry per process, served at GET /metrics.
 * The metric objects are exported so stages update them directly (router: upstream errors and
 * circuit state; queue: depth); keep label values low-cardinality (route, provider — never keys
 * or request ids).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { flushCounterSlots } from './metric-slots.js';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'sluice_process_' });

export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Finished requests by HTTP status and how they ended. */
export const requestsTotal = new Counter({
  name: 'sluice_requests_total',
  help: 'Requests answered by the data plane',
  labelNames: ['endpoint', 'route', 'status', 'outcome', 'cache'] as const,
  registers: [metricsRegistry],
  collect() {
    flushCounterSlots(this as unknown as Counter<string>);
  },
});

/** Whole-request latency (for streams: until the last byte). */
export const requestDuration = new Histogram({
  name: 'sluice_request_duration_seconds',
  help: 'Request latency from arrival to the last byte sent',
  labelNames: ['endpoint', 'route', 'stream'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

/** Time to first token of streamed answers (arrival → first content chunk available). */
export const timeToFirstToken = new Histogram({
  name: 'sluice_time_to_first_token_seconds',
  help: 'Time from request arrival to the first streamed chunk',
  labelNames: ['route'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

// Read at scrape time rather than updated twice per request (a gauge update hashes its labels).
const inFlightSources = new Set<{ readonly size: number }>();

/** Counts `source.size` in sluice_requests_in_flight until the returned function is called. */
export function trackInFlight(source: { readonly size: number }): () => void {
  inFlightSources.add(source);
  return () => {
    inFlightSources.delete(source);
  };
}

export const requestsInFlight = new Gauge({
  name: 'sluice_requests_in_flight',
  help: 'Requests currently being served',
  registers: [metricsRegistry],
  collect() {
    let n = 0;
    for (const s of inFlightSources) n += s.size;
    this.set(n);
  },
});

/** Tokens by route and kind (prompt, cached_prompt, completion). */
export const tokensTotal = new Counter({
  name: 'sluice_tokens_total',
  help: 'Tokens processed, by kind',
  labelNames: ['route', 'kind'] as const,
  registers: [metricsRegistry],
  collect() {
    flushCounterSlots(this as unknown as Counter<string>);
  },
});

/** Upstream failures by provider id and ProviderErrorKind (updated by the router). */
export const upstreamErrorsTotal = new Counter({
  name: 'sluice_upstream_errors_total',
  help: 'Failed upstream attempts by provider and error kind',
  labelNames: ['provider', 'kind'] as const,
  registers: [metricsRegistry],
});

export const CIRCUIT_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/** Circuit breaker state per target: 0 closed, 1 half-open, 2 open (updated by the router). */
export const circuitState = new Gauge({
  name: 'sluice_circuit_state',
  help: 'Circuit breaker state per route target (0 closed, 1 half-open, 2 open)',
  labelNames: ['route', 'provider', 'model'] as const,
  registers: [metricsRegistry],
});

/** Requests waiting in the queue (updated by the queue stage). */
export const queueDepth = new Gauge({
  name: 'sluice_queue_depth',
  help: 'Requests waiting in the queue',
  labelNames: ['route'] as const,
  registers: [metricsRegistry],
});

/** Snapshot pushes/loads by result (applied, unchanged, rejected). */
export const snapshotSwapsTotal = new Counter({
  name: 'sluice_snapshot_swaps_total',
  help: 'Snapshots received by result',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

/** 1 for the snapshot version currently served. */
export const snapshotInfo = new Gauge({
  name: 'sluice_snapshot_info',
  help: 'The snapshot version currently served (value 1)',
  labelNames: ['version'] as const,
  registers: [metricsRegistry],
});

export const controlPlaneConnected = new Gauge({
  name: 'sluice_control_plane_connected',
  help: '1 while the push channel to the control plane is open',
  registers: [metricsRegistry],
});

/** Log lines dropped because stdout could not keep up (see observability/logger.ts). */
export const logLinesDropped = new Counter({
  name: 'sluice_log_lines_dropped_total',
  help: 'Log lines dropped because the log destination could not keep up',
  registers: [metricsRegistry],
});

export { CounterSlot, counterSlot, flushCounterSlots, HistogramSlot } from './metric-slots.js';
