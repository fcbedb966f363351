import type { UsageEvent } from './event.js';

/**
 * A destination for usage events. `write` resolves only once the batch is durable in the sink and
 * must be idempotent by request_id: delivery is at-least-once, so a batch may arrive twice.
 */
export interface UsageSink {
  readonly name: string;
  /**
   * `replay` is true for batches coming back from the disk spool (they may already be present);
   * `seq` is the batch's sequence (enqueue time + counter) when it comes from the recorder.
   */
  write(events: UsageEvent[], opts: { replay: boolean; seq?: string }): Promise<void>;
  close(): Promise<void>;
}
