/**
 * Holds the live snapshot. A swap replaces one reference: requests pin `current()` when they
 * arrive and keep that object for their whole life, so a swap never changes a request midway.
 * Every candidate is validated first; a bad one leaves the last good snapshot serving.
 */
import type { Snapshot } from '../../common/snapshot.js';
import { snapshotInfo, snapshotSwapsTotal } from '../observability/metrics.js';
import type { SnapshotSource } from '../pipeline/deps.js';
import { snapshotProblems } from './validate.js';

export type SwapResult =
  | { ok: true; version: string; changed: boolean }
  | { ok: false; version: string | null; reason: string };

export class SnapshotStore implements SnapshotSource {
  private live: Snapshot | null = null;
  private readonly listeners: Array<(s: Snapshot) => void> = [];

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  current(): Snapshot | null {
    return this.live;
  }

  onSwap(listener: (snapshot: Snapshot) => void): void {
    this.listeners.push(listener);
  }

  /** Validates `candidate` and, if sound, makes it the live snapshot. Never throws. */
  offer(candidate: unknown): SwapResult {
    const version =
      typeof candidate === 'object' && candidate !== null && typeof (candidate as Snapshot).version === 'string'
        ? (candidate as Snapshot).version
        : null;
    const problems = snapshotProblems(candidate);
    if (problems.length > 0) {
      snapshotSwapsTotal.inc({ result: 'rejected' });
      return { ok: false, version, reason: problems.join('; ') };
    }
    const next = candidate as Snapshot;
    if (this.live?.version === next.version) {
      snapshotSwapsTotal.inc({ result: 'unchanged' });
      return { ok: true, version: next.version, changed: false };
    }
    const previous = this.live;
    this.live = next;
    if (previous) snapshotInfo.remove({ version: previous.version });
    snapshotInfo.set({ version: next.version }, 1);
    snapshotSwapsTotal.inc({ result: 'applied' });
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch (err) {
        // A listener bug must not undo or block a valid swap.
        this.onListenerError(err);
      }
    }
    return { ok: true, version: next.version, changed: true };
  }
}
