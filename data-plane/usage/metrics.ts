/**
 * Usage pipeline metrics, on the data plane's registry (GET /metrics). Label values are sink names
 * only. The spool gauges are the "loud" signal: alert on sluice_usage_spool_near_full == 1 and on
 * any increase of sluice_usage_events_dropped_total.
 */
import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../observability/metrics.js';

const registers = [metricsRegistry];

export const usageEventsEmitted = new Counter({
  name: 'sluice_usage_events_emitted_total',
  help: 'Usage events produced by the accounting stage',
  registers,
});

export const usageEventsWritten = new Counter({
  name: 'sluice_usage_events_written_total',
  help: 'Usage events written to a sink (replays included)',
  labelNames: ['sink'] as const,
  registers,
});

export const usageSinkUp = new Gauge({
  name: 'sluice_usage_sink_up',
  help: '1 while the last write to the sink succeeded, 0 while it is failing and batches spool to disk',
  labelNames: ['sink'] as const,
  registers,
});

export const usageSinkErrors = new Counter({
  name: 'sluice_usage_sink_errors_total',
  help: 'Failed batch writes to a sink',
  labelNames: ['sink'] as const,
  registers,
});

export const usageSpoolBytes = new Gauge({
  name: 'sluice_usage_spool_bytes',
  help: 'Bytes of usage events waiting on local disk for a sink to come back',
  labelNames: ['sink'] as const,
  registers,
});

export const usageSpoolLimitBytes = new Gauge({
  name: 'sluice_usage_spool_limit_bytes',
  help: 'Configured bound of the spool per sink',
  labelNames: ['sink'] as const,
  registers,
});

export const usageSpoolNearFull = new Gauge({
  name: 'sluice_usage_spool_near_full',
  help: '1 when the spool uses 80% or more of its bound (events will be dropped at 100%)',
  labelNames: ['sink'] as const,
  registers,
});

export const usageSpooledEvents = new Counter({
  name: 'sluice_usage_spooled_events_total',
  help: 'Usage events written to the disk spool because a sink was down or slow',
  labelNames: ['sink'] as const,
  registers,
});

export const usageReplayedEvents = new Counter({
  name: 'sluice_usage_replayed_events_total',
  help: 'Usage events replayed from the disk spool into a sink',
  labelNames: ['sink'] as const,
  registers,
});

export const usageEventsDropped = new Counter({
  name: 'sluice_usage_events_dropped_total',
  help: 'Usage events lost because the spool was full or unreadable (should stay 0)',
  labelNames: ['sink', 'reason'] as const,
  registers,
});
