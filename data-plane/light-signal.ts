/**
 * A lightweight abort signal: the client exchange's (`ctx.signal`) and each upstream attempt's
 * (providers/shared/attempt.ts). A Node AbortController is an EventTarget:
 * creating one and adding/removing the few listeners a request needs (router, provider attempt,
 * limits and accounting stream wrappers) costs ~10 µs and weak-reference bookkeeping for the GC,
 * per request. This object has the AbortSignal surface stages, adapters and Node's duck-typed
 * `signal` options use — `aborted`, `reason`, `onabort`, `throwIfAborted()` and
 * `add/removeEventListener('abort', …)` — for a flag and an array.
 *
 * Not a branded AbortSignal: `AbortSignal.any([ctx.signal])` and WHATWG `fetch`/`Request` reject
 * it. Code that needs a real one calls `toAbortSignal(ctx.signal)` (below), created on demand.
 */

type AbortListener = ((this: AbortSignal, ev: Event) => unknown) | { handleEvent(ev: Event): unknown };

interface ListenerOptions {
  once?: boolean;
  signal?: AbortSignal;
}

export class LightSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((this: AbortSignal, ev: Event) => unknown) | null = null;
  private listeners: AbortListener[] | null = null;
  private real: AbortController | null = null;

  addEventListener(type: string, listener: AbortListener | null, options?: boolean | ListenerOptions): void {
    if (type !== 'abort' || !listener || this.aborted) return;
    const list = this.listeners;
    if (list === null) this.listeners = [listener];
    else if (!list.includes(listener)) list.push(listener); // EventTarget ignores duplicates
    // A listener bound to another signal's lifetime (rare; Node internals use it).
    const until = typeof options === 'object' ? options.signal : undefined;
    until?.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    const list = this.listeners;
    if (type !== 'abort' || !list || !listener) return;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Aborts once: listeners run in order (each once), then the real signal if one was asked for. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const list = this.listeners;
    this.listeners = null;
    const self = this as unknown as AbortSignal;
    const event = { type: 'abort', target: self, currentTarget: self } as unknown as Event;
    const call = (l: AbortListener) => {
      try {
        if (typeof l === 'function') l.call(self, event);
        else l.handleEvent(event);
      } catch (err) {
        // As EventTarget does: a throwing listener is reported, the others still run.
        process.nextTick(() => {
          throw err;
        });
      }
    };
    if (this.onabort) call(this.onabort);
    if (list) for (const l of list) call(l);
    this.real?.abort(reason);
  }

  /** A branded AbortSignal following this one (created on first use). */
  asAbortSignal(): AbortSignal {
    if (!this.real) {
      this.real = new AbortController();
      if (this.aborted) this.real.abort(this.reason);
    }
    return this.real.signal;
  }
}

/** A branded AbortSignal for `signal` (itself when it is one; a follower of a LightSignal). */
export function toAbortSignal(signal: AbortSignal): AbortSignal {
  const s = signal as unknown;
  return s instanceof LightSignal ? s.asAbortSignal() : signal;
}
