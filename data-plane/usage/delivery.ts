/**
 * At-least-once delivery of batches to one sink. While the sink is healthy, batches are written
 * straight from memory. When a write fails (or memory holds too many waiting events) batches go to
 * the disk spool; once anything is spooled, newer batches are spooled too, and the spool is replayed
 * oldest-first (with backoff between failed attempts) before memory is used again — so order is
 * kept and nothing is lost. Replays are safe because sinks are idempotent by request id.
 */
import type { Logger } from 'pino';
import type { UsageEvent } from './event.js';
import { usageEventsWritten, usageReplayedEvents, usageSinkErrors, usageSinkUp } from './metrics.js';
import type { UsageSink } from './sink.js';
import type { Spool } from './spool.js';

export interface DeliveryOptions {
  /** Events held in memory for a slow sink before batches spill to the spool. */
  maxPendingEvents: number;
  retryMinMs: number;
  retryMaxMs: number;
}

export interface Batch {
  seq: string;
  events: UsageEvent[];
}

export class Delivery {
  private pending: Batch[] = [];
  private pendingCount = 0;
  private inFlight: Batch | null = null;
  private running: Promise<void> | null = null;
  private down = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Serializes spool appends so their order matches enqueue order. */
  private spoolChain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly sink: UsageSink,
    private readonly spool: Spool,
    private readonly opts: DeliveryOptions,
    private readonly logger: Logger,
  ) {
    this.retryMs = opts.retryMinMs;
    usageSinkUp.set({ sink: sink.name }, 1);
  }

  /** Batches not yet acknowledged by the sink that are still in memory (the spend ledger adds them). */
  *inMemory(): Iterable<Batch> {
    if (this.inFlight) yield this.inFlight;
    yield* this.pending;
  }

  get isDown(): boolean {
    return this.down;
  }

  enqueue(seq: string, events: UsageEvent[]): void {
    if (events.length === 0) return;
    const batch = { seq, events };
    if (this.down || this.spool.size > 0) {
      this.toSpool([batch]);
    } else {
      this.pending.push(batch);
      this.pendingCount += events.length;
      if (this.pendingCount > this.opts.maxPendingEvents) this.spillPending();
    }
    this.kick();
  }

  /** Runs the pump now (also used at start to replay what a previous process spooled). */
  kick(): Promise<void> {
    if (!this.running) {
      this.running = this.pump().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Writes or spools everything in memory. Does not wait for a down sink to come back. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.running;
    if (!this.down) await this.kick();
    await this.running;
    if (this.pending.length > 0) this.spillPending();
    await this.spoolChain;
  }

  /** Waits until memory and spool are empty or the sink is down (tests, shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      await this.spoolChain;
      await this.kick();
      if (this.down || (this.pending.length === 0 && this.spool.size === 0)) return;
    }
  }

  private spillPending(): void {
    const batches = this.pending;
    this.pending = [];
    this.pendingCount = 0;
    this.toSpool(batches);
  }

  private toSpool(batches: Batch[]): void {
    this.spoolChain = this.spoolChain.then(async () => {
      for (const b of batches) {
        try {
          await this.spool.append(b.seq, b.events);
        } catch (err) {
          this.logger.error({ err, sink: this.sink.name, events: b.events.length }, 'usage spool write failed');
        }
      }
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      await this.spoolChain;
      if (this.spool.size > 0) {
        if (this.down && this.retryTimer) return;
        const batch = await this.spool.oldest();
        if (!batch) continue;
        try {
          await this.sink.write(batch.events, { replay: true });
        } catch (err) {
          this.failed(err);
          return;
        }
        await this.spool.remove(batch.name);
        usageReplayedEvents.inc({ sink: this.sink.name }, batch.events.length);
        this.succeeded(batch.events.length);
        continue;
      }
      const next = this.pending.shift();
      if (!next) return;
      this.pendingCount -= next.events.length;
      this.inFlight = next;
      try {
        await this.sink.write(next.events, { replay: false, seq: next.seq });
        this.inFlight = null;
        this.succeeded(next.events.length);
      } catch (err) {
        this.inFlight = null;
        this.toSpool([next]);
        this.spillPending();
        this.failed(err);
        return;
      }
    }
  }

  private succeeded(n: number): void {
    usageEventsWritten.inc({ sink: this.sink.name }, n);
    if (this.down) this.logger.info({ sink: this.sink.name }, 'usage sink is back; spool replayed');
    this.down = false;
    this.retryMs = this.opts.retryMinMs;
    usageSinkUp.set({ sink: this.sink.name }, 1);
  }

  private failed(err: unknown): void {
    usageSinkErrors.inc({ sink: this.sink.name });
    if (!this.down) this.logger.error({ err, sink: this.sink.name }, 'usage sink write failed; spooling to disk');
    this.down = true;
    usageSinkUp.set({ sink: this.sink.name }, 0);
    if (this.closed) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.opts.retryMaxMs, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.kick();
    }, delay);
    this.retryTimer.unref();
  }
}
