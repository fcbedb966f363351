/**
 * Limiter decision cost per request (reserve + reconcile across key → team → org, with RPM, TPM,
 * concurrency and a budget), in memory and against Redis: sequential latency and concurrent
 * (auto-pipelined) throughput, and the Redis CPU each script call costs (INFO commandstats) —
 * one Redis serves every replica, so that figure bounds the whole cluster's decisions/s.
 *   node --import tsx bench/limiter.ts [redis://127.0.0.1:6390]
 */
import { Redis } from 'ioredis';
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

/** One reservation of the bench's typical request (1,200 tokens, 900 µ$) on a 3-node chain. */
async function reserveOne(l: Limiter, scope: string, id: string, now: number) {
  const out = await l.reserve({
    id,
    scope,
    nodes: chain(now),
    tokens: 1200,
    micros: 900,
    now,
    leaseMs: 120_000,
    hold: true,
  });
  if (!out.ok) throw new Error(`refused: ${out.reason}`);
  return out.reservation;
}

let seq = 0;
async function decision(l: Limiter, scope: string): Promise<void> {
  const reservation = await reserveOne(l, scope, `b${seq++}`, Date.now());
  await l.reconcile(reservation, { tokens: 1000, micros: 700 }, Date.now(), [50, 80, 100]);
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

/** EVALSHA calls and µs so far (server-wide: other clients of the same Redis count too). */
async function evalshaStats(info: Redis): Promise<[number, number]> {
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await info.info('commandstats'));
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/**
 * Redis CPU per reserve and per reconcile in steady state: the rate windows are first filled as a
 * day of traffic leaves them (24 hourly d: buckets, 12 five-minute h: buckets, 12 five-second
 * r:/t: buckets), then 8 orgs take turns, 48 reservations in flight.
 */
async function redisCpu(l: RedisLimiter, info: Redis, n: number): Promise<void> {
  const t0 = Date.now();
  const scopes = Array.from({ length: 8 }, (_, i) => `org:bench-cpu${i}-${t0}`);
  let id = 0;
  const reserve = (scope: string, now: number) => reserveOne(l, scope, `c${id++}`, now);
  const fill = [
    ...Array.from({ length: 288 }, (_, k) => t0 - 86_400_000 + k * 300_000),
    ...Array.from({ length: 12 }, (_, k) => t0 - 60_000 + k * 5_000),
  ];
  for (const scope of scopes) {
    for (const at of fill)
      await l.reconcile(await reserve(scope, at), { tokens: 1000, micros: 700 }, at + 1000, [50, 80, 100]);
  }
  let resUs = 0;
  let resCalls = 0;
  let recUs = 0;
  let recCalls = 0;
  for (let done = 0; done < n; done += 48) {
    const a = await evalshaStats(info);
    const batch = [];
    for (let i = 0; i < 48; i++) batch.push(await reserve(scopes[i % 8]!, Date.now()));
    const b = await evalshaStats(info);
    for (const res of batch) await l.reconcile(res, { tokens: 1000, micros: 700 }, Date.now(), [50, 80, 100]);
    const c = await evalshaStats(info);
    resUs += b[1] - a[1];
    resCalls += b[0] - a[0];
    recUs += c[1] - b[1];
    recCalls += c[0] - b[0];
  }
  const perReserve = resUs / resCalls;
  const perReconcile = recUs / recCalls;
  console.log(
    `redis    server CPU (INFO commandstats), steady-state windows: reserve ${perReserve.toFixed(1)} µs, ` +
      `reconcile ${perReconcile.toFixed(1)} µs per call → one Redis core bounds the cluster at ` +
      `≈${Math.round(1e6 / (perReserve + perReconcile)).toLocaleString('en-US')} decisions/s ` +
      `(exact only when nothing else uses this Redis)`,
  );
}

const memory = new MemoryLimiter();
await sequential('memory', memory, 50_000);
await concurrent('memory', memory, 50_000, 64);

const redis = await RedisLimiter.create({ url: REDIS_URL, keyPrefix: `bench:${process.pid}:` });
try {
  await sequential('redis', redis, 5_000);
  await concurrent('redis', redis, 20_000, 64);
  const info = new Redis(REDIS_URL);
  try {
    await redisCpu(redis, info, 4_800);
  } finally {
    info.disconnect();
  }
} catch (err) {
  console.log(
    `redis: skipped (${err instanceof Error ? err.message : String(err)}) — start it with test/setup/services.sh`,
  );
} finally {
  await redis.close();
}
