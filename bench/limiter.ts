/**
 * Limiter decision cost per request (reserve + reconcile across key → team → org, with RPM, TPM,
 * concurrency and a budget), in memory and against Redis: sequential latency and concurrent
 * (auto-pipelined) throughput.
 *   node --import tsx bench/limiter.ts [redis://127.0.0.1:6390]
 */
import { MemoryLimiter } from '../data-plane/limits/memory-limiter.js';
import { PeriodCache } from '../data-plane/limits/period.js';
import { RedisLimiter } from '../data-plane/limits/redis-limiter.js';
import type { Limiter, NodeSpec } from '../data-plane/limits/types.js';

const REDIS_URL = process.argv[2] ?? process.env.SLUICE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';

const periods = new PeriodCache(); // as the stage does: Intl runs once per period, not per request

function chain(now: number): NodeSpec[] {
  const w = periods.window(now, 'monthly', 'Europe/Berlin');
  const base = { tpd: null, periodStart: w.start, periodEnd: w.end };
  return [
    { id: 'key:bench', rpm: 1e9, tpm: 1e12, maxConcurrent: 10_000, budgetMicros: null, ...base },
    { id: 'team:bench', rpm: null, tpm: 1e12, maxConcurrent: null, budgetMicros: 1e14, ...base },
    { id: 'org:bench', rpm: null, tpm: null, maxConcurrent: null, budgetMicros: 1e14, ...base },
  ];
}

let seq = 0;
async function decision(l: Limiter, scope: string): Promise<void> {
  const now = Date.now();
  const out = await l.reserve({
    id: `b${seq++}`,
    scope,
    nodes: chain(now),
    tokens: 1200,
    micros: 900,
    now,
    leaseMs: 120_000,
    hold: true,
  });
  if (!out.ok) throw new Error(`refused: ${out.reason}`);
  await l.reconcile(out.reservation, { tokens: 1000, micros: 700 }, Date.now(), [50, 80, 100]);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function sequential(label: string, l: Limiter, n: number): Promise<void> {
  const scope = `org:bench-${label}-${Date.now()}`;
  for (let i = 0; i < 200; i++) await decision(l, scope);
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await decision(l, scope);
    lat.push((performance.now() - t) * 1000);
  }
  const total = performance.now() - t0;
  lat.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(8)} sequential  ${n} decisions: p50 ${pct(lat, 50).toFixed(1)} µs, p99 ${pct(lat, 99).toFixed(1)} µs, ` +
      `${Math.round(n / (total / 1000)).toLocaleString('en-US')} decisions/s`,
  );
}

async function concurrent(label: string, l: Limiter, n: number, inFlight: number): Promise<void> {
  const scopes = Array.from({ length: 8 }, (_, i) => `org:bench-c${i}-${Date.now()}`);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        await decision(l, scopes[i % scopes.length]!);
      }
    }),
  );
  const ms = performance.now() - t0;
  console.log(
    `${label.padEnd(8)} concurrent  ${n} decisions, ${inFlight} in flight (8 orgs): ` +
      `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} decisions/s`,
  );
}

const memory = new MemoryLimiter();
await sequential('memory', memory, 50_000);
await concurrent('memory', memory, 50_000, 64);

const redis = await RedisLimiter.create({ url: REDIS_URL, keyPrefix: `bench:${process.pid}:` });
try {
  await sequential('redis', redis, 5_000);
  await concurrent('redis', redis, 20_000, 64);
} catch (err) {
  console.log(
    `redis: skipped (${err instanceof Error ? err.message : String(err)}) — start it with test/setup/services.sh`,
  );
} finally {
  await redis.close();
}
