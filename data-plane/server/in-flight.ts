/** Tracks requests being served so shutdown can wait for them (bounded) and then cut the rest. */
import { trackInFlight } from '../observability/metrics.js';
import type { Exchange } from './exchange.js';

export class InFlight {
  private readonly active = new Set<Exchange>();
  private idleWaiters: Array<() => void> = [];
  /** sluice_requests_in_flight reads `size` at scrape time (nothing to update per request). */
  readonly untrack = trackInFlight(this);

  get size(): number {
    return this.active.size;
  }

  add(ex: Exchange): void {
    this.active.add(ex);
  }

  delete(ex: Exchange): void {
    if (!this.active.delete(ex)) return;
    if (this.active.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves true when everything finished within `timeoutMs`, false if it had to give up. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.active.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Aborts whatever is still running (its stages' finally blocks still run). */
  abortAll(): void {
    for (const ex of this.active) ex.forceClose();
  }
}
