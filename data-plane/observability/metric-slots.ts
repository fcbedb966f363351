/**
 * Hot-path metric slots. prom-client hashes and validates the label object on every
 * inc()/observe(), even through a bound child (labels() → inc.bind(labels)): ≈ 1–2 µs per request
 * for the server's three per-request metrics. The server takes one slot per label set instead
 * (cached by the caller) and updates plain numbers; names, labels and the exposition are unchanged.
 */
import type { Counter, Histogram } from 'prom-client';

type Labels = Record<string, string>;

/** Increments added to a counter per label set, handed to prom-client when the counter is read. */
export class CounterSlot {
  pending = 0;
  constructor(readonly labels: Labels) {}
  inc(n = 1): void {
    this.pending += n;
  }
}

const counterSlots = new Map<Counter<string>, CounterSlot[]>();

/** A slot for `labels` on `counter` (call once per label set and keep it). */
export function counterSlot(counter: Counter<string>, labels: Labels): CounterSlot {
  let slots = counterSlots.get(counter);
  if (!slots) {
    slots = [];
    counterSlots.set(counter, slots);
  }
  const slot = new CounterSlot(labels);
  slots.push(slot);
  return slot;
}

/** Adds the pending increments (called from the counter's collect(), i.e. on every read/scrape). */
export function flushCounterSlots(counter: Counter<string>): void {
  const slots = counterSlots.get(counter);
  if (!slots) return;
  for (const s of slots) {
    if (s.pending === 0) continue;
    const n = s.pending;
    s.pending = 0;
    counter.inc(s.labels, n);
  }
}

interface HistogramEntry {
  labels: Labels;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * observe() for one label set of a histogram without per-call hashing: the label set's entry
 * (created with the public zero()) is updated in place — sum, count and the bucket of the value,
 * exactly what prom-client's observe does (prom-client 15: `hashMap[hash] = {labels,
 * bucketValues, sum, count}`). If that layout is not found (another prom-client version) or the
 * histogram was reset, it falls back to the public observe().
 */
export class HistogramSlot {
  private entry: HistogramEntry | null = null;
  private key = '';
  private unknownLayout = false;

  constructor(
    private readonly histogram: Histogram<string>,
    private readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {}

  observe(value: number): void {
    const map = (this.histogram as unknown as { hashMap?: Record<string, HistogramEntry> }).hashMap;
    let e = this.entry;
    if (e === null || map?.[this.key] !== e) e = this.attach(map);
    if (e === null || !Number.isFinite(value)) {
      this.histogram.observe(this.labels, value);
      return;
    }
    e.sum += value;
    e.count += 1;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      const b = bounds[i] as number;
      if (value <= b) {
        e.bucketValues[b] = (e.bucketValues[b] ?? 0) + 1;
        return;
      }
    }
  }

  /** Finds (or creates with zero()) this label set's entry; null when the layout is not the known one. */
  private attach(map: Record<string, HistogramEntry> | undefined): HistogramEntry | null {
    this.entry = null;
    if (!map || this.unknownLayout) return null;
    const find = (m: Record<string, HistogramEntry>): HistogramEntry | null => {
      for (const key in m) if (m[key]?.labels === this.labels) return this.adopt(key, m[key] as HistogramEntry);
      return null;
    };
    const found = find(map);
    if (found) return found;
    this.histogram.zero(this.labels);
    const created = find((this.histogram as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap);
    if (!created) this.unknownLayout = true;
    return created;
  }

  private adopt(key: string, e: HistogramEntry): HistogramEntry | null {
    const known =
      typeof e.sum === 'number' &&
      typeof e.count === 'number' &&
      typeof e.bucketValues === 'object' &&
      this.bounds.every((b) => typeof e.bucketValues[b] === 'number');
    if (!known) {
      this.unknownLayout = true;
      return null;
    }
    this.entry = e;
    this.key = key;
    return e;
  }
}
