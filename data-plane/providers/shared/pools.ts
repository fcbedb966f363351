/**
 * One undici Pool per (origin, maxConnections, connect timeout): keep-alive connections reused
 * across requests and snapshots. `warmUp(providers)` creates the pools of a new snapshot before
 * it takes traffic and opens one connection to each origin, and closes pools no provider uses
 * any more (gracefully: in-flight requests finish first).
 */
import { Pool } from 'undici';
import type { ProviderRecord } from '../../../common/snapshot.js';
import { resetCredentials, resolveCredential } from './credentials.js';

const pools = new Map<string, Pool>();
// Per provider record (immutable within a snapshot): its pool key, so the hot path parses no URL.
const keys = new WeakMap<ProviderRecord, string>();

function poolKey(origin: string, provider: ProviderRecord): string {
  return `${origin}|${provider.maxConnections}|${provider.timeouts.connectMs}`;
}

export function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin;
}

export function getPool(provider: ProviderRecord): Pool {
  let key = keys.get(provider);
  if (key === undefined) {
    key = poolKey(originOf(provider.baseUrl), provider);
    keys.set(provider, key);
  }
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(originOf(provider.baseUrl), {
      connections: Math.max(1, provider.maxConnections),
      connect: { timeout: provider.timeouts.connectMs },
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      // The adapters run their own first-token/total timers (typed errors); undici's are off.
      headersTimeout: 0,
      bodyTimeout: 0,
      pipelining: 1,
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
      void pool.close().catch(() => undefined);
    }
  }
  if (opts.connect === false) return list.map((p) => ({ provider: p.id, ok: true, ms: 0 }));
  return Promise.all(list.map((p) => openConnection(p, opts.timeoutMs ?? p.timeouts.connectMs)));
}

/**
 * A GET on the base path (no credentials sent): opens a keep-alive connection; any HTTP status
 * counts as reachable. Not HEAD: undici never reuses a connection after a HEAD request.
 */
async function openConnection(p: ProviderRecord, timeoutMs: number): Promise<WarmUpResult> {
  const started = performance.now();
  try {
    const pool = getPool(p);
    const res = await pool.request({
      method: 'GET',
      path: new URL(p.baseUrl).pathname || '/',
      signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
    });
    await res.body.dump();
    // Let undici mark the client idle ('drain') so the first real request reuses this connection.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return { provider: p.id, ok: true, ms: performance.now() - started };
  } catch (err) {
    return { provider: p.id, ok: false, ms: performance.now() - started, error: (err as Error).message };
  }
}

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
      await Promise.race([p.close().catch(() => undefined), grace]);
      clearTimeout(timer);
      await p.destroy().catch(() => undefined);
    }),
  );
}
