/**
 * The disk spool of one sink: batches that could not be written yet, one immutable NDJSON file per
 * batch under <dataDir>/spool/<sink>/, named by the batch's sequence (enqueue time + counter) so a
 * directory listing is the replay order. Files are written to a temp name and renamed, so a crash
 * never leaves half a batch behind. Disk use is bounded: at 80% of the bound the near-full gauge and
 * a warning fire; at the bound new batches are dropped and counted (loudly: error log + counter).
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { UsageEvent } from './event.js';
import {
  usageEventsDropped,
  usageSpoolBytes,
  usageSpooledEvents,
  usageSpoolLimitBytes,
  usageSpoolNearFull,
} from './metrics.js';

const FILE = /^\d{15}-\d{9}\.ndjson$/;
const NEAR_FULL = 0.8;

export interface SpooledBatch {
  name: string;
  events: UsageEvent[];
}

export class Spool {
  private files: { name: string; bytes: number }[] = [];
  private bytes = 0;
  private nearFull = false;

  constructor(
    readonly dir: string,
    readonly sink: string,
    readonly maxBytes: number,
    private readonly logger: Logger,
  ) {
    usageSpoolLimitBytes.set({ sink }, maxBytes);
  }

  /** Loads what a previous process left behind (replayed before anything new). */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((n) => FILE.test(n)).sort();
    this.files = [];
    this.bytes = 0;
    for (const name of names) {
      const { size } = await stat(join(this.dir, name));
      this.files.push({ name, bytes: size });
      this.bytes += size;
    }
    if (names.length > 0) {
      this.logger.warn({ sink: this.sink, batches: names.length, bytes: this.bytes }, 'usage spool found; replaying');
    }
    this.updateGauges();
  }

  get size(): number {
    return this.files.length;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  /** Writes a batch under its sequence name. Returns false (and counts the loss) when full. */
  async append(seq: string, events: UsageEvent[]): Promise<boolean> {
    const text = `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
    const size = Buffer.byteLength(text);
    if (this.bytes + size > this.maxBytes) {
      usageEventsDropped.inc({ sink: this.sink, reason: 'spool_full' }, events.length);
      this.logger.error(
        { sink: this.sink, dropped: events.length, spoolBytes: this.bytes, maxBytes: this.maxBytes },
        'usage spool full: dropping usage events',
      );
      return false;
    }
    const name = `${seq}.ndjson`;
    const tmp = join(this.dir, `${name}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, name));
    // Keep the list sorted: an in-flight batch that failed may be older than already spooled ones.
    let i = this.files.length;
    while (i > 0 && this.files[i - 1]!.name > name) i--;
    this.files.splice(i, 0, { name, bytes: size });
    this.bytes += size;
    usageSpooledEvents.inc({ sink: this.sink }, events.length);
    this.updateGauges();
    return true;
  }

  /** The oldest spooled batch, or null. Unreadable lines are counted as dropped, never retried forever. */
  async oldest(): Promise<SpooledBatch | null> {
    const first = this.files[0];
    if (!first) return null;
    const text = await readFile(join(this.dir, first.name), 'utf8');
    const events: UsageEvent[] = [];
    let bad = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as UsageEvent);
      } catch {
        bad++;
      }
    }
    if (bad > 0) {
      usageEventsDropped.inc({ sink: this.sink, reason: 'spool_corrupt' }, bad);
      this.logger.error({ sink: this.sink, file: first.name, bad }, 'unreadable lines in usage spool file');
    }
    return { name: first.name, events };
  }

  async remove(name: string): Promise<void> {
    const i = this.files.findIndex((f) => f.name === name);
    if (i < 0) return;
    const [f] = this.files.splice(i, 1);
    this.bytes -= f!.bytes;
    await rm(join(this.dir, name), { force: true });
    this.updateGauges();
  }

  private updateGauges(): void {
    usageSpoolBytes.set({ sink: this.sink }, this.bytes);
    const near = this.bytes >= this.maxBytes * NEAR_FULL;
    usageSpoolNearFull.set({ sink: this.sink }, near ? 1 : 0);
    if (near && !this.nearFull) {
      this.logger.warn(
        { sink: this.sink, spoolBytes: this.bytes, maxBytes: this.maxBytes },
        'usage spool above 80% of its bound: the sink has been down for long; events are dropped at 100%',
      );
    }
    this.nearFull = near;
  }
}
