/**
 * One H1Pool (h1/pool.ts) per (origin, maxConnections, connect timeout): keep-alive connections
 * reused across requests and snapshots. `warmUp(providers)` creates the pools of a new snapshot
 * before it takes traffic and opens one connection to each origin, and closes pools no provider
 * uses any more (gracefully: in-flight requests finish first).
 */
import type { ProviderRecord } from '../../../common/snapshot.js';
import { resetCredentials, resolveCredential } from './credentials.js';
import type { Exchange } from './h1/exchange.js';
import { H1Pool } from './h1/pool.js';

const pools = new Map<string, H1Pool>();
// Per provider record (immutable within a snapshot): its pool key, so the hot path parses no URL.
const keys = new WeakMap<ProviderRecord, string>();

function poolKey(origin: string, provider: ProviderRecord): string {
  return `${origin}|${provider.maxConnections}|${provider.timeouts.connectMs}`;
}

export function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin;
}

export function getPool(provider: ProviderRecord): H1Pool {
  let key = keys.get(provider);
  if (key === undefined) {
    key = poolKey(originOf(provider.baseUrl), provider);
    keys.set(provider, key);
  }
  let pool = pools.get(key);
  if (!pool) {
    pool = new H1Pool(originOf(provider.baseUrl), {
      maxConnections: Math.max(1, provider.maxConnections),
      connectTimeoutMs: provider.timeouts.connectMs,
      idleTimeoutMs: 30_000,
    });
    pools.set(key, pool);
  }
  return pool;
}

export interface WarmUpResult {
  provider: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * Prepares pools (and one live connection each) for these providers; re-resolves credentials.
 * Never throws: an unreachable provider is reported, and its requests will fail and be routed
 * around as usual.
 */
export async function warmUp(
  providers: ProviderRecord[] | Record<string, ProviderRecord>,
  opts: { connect?: boolean; timeoutMs?: number } = {},
): Promise<WarmUpResult[]> {
  const list = (Array.isArray(providers) ? providers : Object.values(providers)).filter((p) => p.type !== 'simulated');
  resetCredentials();
  const used = new Set<string>();
  for (const p of list) {
    try {
      used.add(poolKey(originOf(p.baseUrl), p));
      getPool(p);
      resolveCredential(p.credential);
    } catch {
      // reported below by the connection attempt / at request time
    }
  }
  for (const [key, pool] of pools) {
    if (!used.has(key)) {
      pools.delete(key);
      void pool.close();
    }
  }
  if (opts.connect === false) return list.map((p) => ({ provider: p.id, ok: true, ms: 0 }));
  return Promise.all(list.map((p) => openConnection(p, opts.timeoutMs ?? p.timeouts.connectMs)));
}

/**
 * A GET on the base path (no credentials sent): opens a keep-alive connection and proves the
 * origin speaks HTTP (and TLS); any HTTP status counts as reachable. The body is read to its end
 * so the connection goes back to the pool for the first real request.
 */
async function openConnection(p: ProviderRecord, timeoutMs: number): Promise<WarmUpResult> {
  const started = performance.now();
  try {
    const pool = getPool(p);
    await new Promise<void>((resolve, reject) => {
      let ex: Exchange | null = null;
      const timer = setTimeout(
        () => ex?.abort(new Error(`no response within ${timeoutMs} ms`)),
        Math.max(1, timeoutMs),
      );
      ex = pool.request(
        { method: 'GET', path: new URL(p.baseUrl).pathname || '/', headers: {} },
        {
          onHead: noop,
          onData: noop,
          onComplete: () => {
            clearTimeout(timer);
            resolve();
          },
          onError: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        },
      );
    });
    return { provider: p.id, ok: true, ms: performance.now() - started };
  } catch (err) {
    return { provider: p.id, ok: false, ms: performance.now() - started, error: (err as Error).message };
  }
}
const noop = (): void => {};

/** Closes every pool (graceful shutdown, test teardown): waits up to `graceMs` for in-flight requests. */
export async function closePools(graceMs = 1_000): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(
    all.map(async (p) => {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([p.close(), grace]);
      clearTimeout(timer);
      p.destroy();
    }),
  );
}
