/**
 * Exponential backoff with full jitter (AWS architecture blog): the n-th retry waits a uniform
 * random time in [0, min(maxDelay, base × 2^n)). A provider's Retry-After wins when it is larger.
 */
export type Rng = () => number;

export function backoffDelayMs(
  retryIndex: number,
  baseDelayMs: number,
  maxDelayMs: number,
  rng: Rng,
  retryAfterMs: number | null = null,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retryIndex));
  const jittered = Math.floor(rng() * ceiling);
  return retryAfterMs !== null && retryAfterMs > jittered ? retryAfterMs : jittered;
}

/** Resolves after `ms`, or rejects with `onAbort()` as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal, onAbort: () => Error): Promise<void> {
  if (signal.aborted) return Promise.reject(onAbort());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(onAbort());
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}

/** A small seedable PRNG (mulberry32) so tests can check distributions deterministically. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
