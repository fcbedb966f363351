/**
 * The usage recorder: the accounting stage's only dependency. `record()` is the hot-path call — it
 * pushes the event onto an in-memory batch and returns; a size trigger (setImmediate) or a timer
 * hands the batch to one Delivery per sink (SQLite always; ClickHouse when configured), which write
 * it, or spool it to disk while the sink is down. Nothing here is awaited by a request.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createClickHouseSink } from './clickhouse/sink.js';
import { Delivery } from './delivery.js';
import type { UsageEvent } from './event.js';
import { usageEventsEmitted } from './metrics.js';
import type { UsageSink } from './sink.js';
import { Spool } from './spool.js';
import type { PendingBatch } from './sqlite/db.js';
import { createSqliteSink } from './sqlite/sink.js';

export interface RecorderOptions {
  dataDir: string;
  clickhouseUrl: string | null;
  logger: Logger;
  /** Events per batch (a full batch is flushed at once). Default 500. */
  batchSize?: number;
  /** Longest an event waits in memory before its batch is flushed. Default 250 ms. */
  flushIntervalMs?: number;
  /** Bound of each sink's disk spool. Default 512 MiB (SLUICE_USAGE_SPOOL_MAX_BYTES). */
  spoolMaxBytes?: number;
  /** Events a slow sink may hold in memory before batches spill to the spool. Default 20 000. */
  maxPendingEvents?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Extra sinks (tests, benchmarks). */
  sinks?: UsageSink[];
}

export interface UsageRecorder {
  record(event: UsageEvent): void;
  /** Flushes memory and waits until every sink has everything (or is down). */
  drain(): Promise<void>;
  /** Per sink: is it failing, and how many batches wait in its spool. */
  status(): { sink: string; down: boolean; spooledBatches: number; spoolBytes: number }[];
  close(): Promise<void>;
}

const DEFAULT_SPOOL_MAX = 512 * 1024 * 1024;

export async function createUsageRecorder(opts: RecorderOptions): Promise<UsageRecorder> {
  const batchSize = opts.batchSize ?? 500;
  const flushMs = opts.flushIntervalMs ?? 250;
  const spoolMax = opts.spoolMaxBytes ?? Number(process.env.SLUICE_USAGE_SPOOL_MAX_BYTES ?? DEFAULT_SPOOL_MAX);
  const sqlite = createSqliteSink(opts.dataDir);
  const sinks: UsageSink[] = [sqlite];
  if (opts.clickhouseUrl) sinks.push(createClickHouseSink(opts.clickhouseUrl));
  sinks.push(...(opts.sinks ?? []));

  const deliveries: { delivery: Delivery; spool: Spool }[] = [];
  for (const sink of sinks) {
    const spool = new Spool(join(opts.dataDir, 'spool', sink.name), sink.name, spoolMax, opts.logger);
    await spool.init();
    const delivery = new Delivery(
      sink,
      spool,
      {
        maxPendingEvents: opts.maxPendingEvents ?? 20_000,
        retryMinMs: opts.retryMinMs ?? 500,
        retryMaxMs: opts.retryMaxMs ?? 30_000,
      },
      opts.logger,
    );
    deliveries.push({ delivery, spool });
  }

  let buffer: UsageEvent[] = [];
  let scheduled = false;
  let counter = 0;
  let closed = false;

  const sqliteDelivery = deliveries[0]!.delivery;
  const pendingSpend = function* (): Iterable<PendingBatch> {
    yield { seq: null, events: buffer };
    yield* sqliteDelivery.inMemory();
  };
  sqlite.handle.pending.add(pendingSpend);

  // Replay what a previous process spooled. SQLite is local and fast: wait for it, so the spend
  // ledger is complete before the limits stage starts. Remote sinks replay in the background.
  await sqliteDelivery.kick();
  for (const { delivery } of deliveries.slice(1)) void delivery.kick();

  function flush(): void {
    scheduled = false;
    if (buffer.length === 0) return;
    const all = buffer;
    buffer = [];
    usageEventsEmitted.inc(all.length);
    // A burst between two flushes is cut into batches of at most batchSize (bounded inserts/files).
    for (let i = 0; i < all.length; i += batchSize) {
      const batch = all.length <= batchSize ? all : all.slice(i, i + batchSize);
      const seq = `${String(Date.now()).padStart(15, '0')}-${String(counter++ % 1e9).padStart(9, '0')}`;
      for (const { delivery } of deliveries) delivery.enqueue(seq, batch);
    }
  }

  const timer = setInterval(flush, flushMs);
  timer.unref();

  return {
    record(event) {
      if (closed) {
        // Only reachable if a request outlives shutdown; say so loudly rather than throw into it.
        opts.logger.error({ requestId: event.request_id }, 'usage event recorded after close: not stored');
        return;
      }
      buffer.push(event);
      if (buffer.length >= batchSize && !scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    async drain() {
      flush();
      await Promise.all(deliveries.map(({ delivery }) => delivery.drain()));
    },
    status() {
      return deliveries.map(({ delivery, spool }) => ({
        sink: delivery.sink.name,
        down: delivery.isDown,
        spooledBatches: spool.size,
        spoolBytes: spool.usedBytes,
      }));
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      flush();
      await Promise.all(deliveries.map(({ delivery }) => delivery.close()));
      sqlite.handle.pending.delete(pendingSpend);
      for (const sink of sinks) await sink.close();
    },
  };
}
