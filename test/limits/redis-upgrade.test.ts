/**
 * The Redis scripts were rewritten for Redis CPU; key names and data layout stayed. These tests
 * replay one random workload (refusals of every kind, lease expiry, refunds and extra charges,
 * duplicate reconciles, alert thresholds, windows rolling over minutes and hours) three ways:
 * with the first scripts (fixtures/redis-scripts-v1.ts), with the current ones, and with the first
 * ones for half the run and the current ones on the same keys afterwards (an upgrade of a live
 * deployment). Every answer and the final stored data must be the same.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLimiter } from '../../data-plane/limits/redis-limiter.js';
import {
  type NodeSpec,
  type NodeStatus,
  type Reservation,
  type ReserveRequest,
  type ReserveResult,
  SPEND_RETENTION_MS,
  type ThresholdCrossing,
} from '../../data-plane/limits/types.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/services.js';
import { RECONCILE_LUA, RESERVE_LUA, STATUS_LUA } from './fixtures/redis-scripts-v1.js';
import { spec, T0 } from './limiter-suite.js';

interface Driver {
  reserve(r: ReserveRequest): Promise<ReserveResult>;
  reconcile(
    res: Reservation,
    actual: { tokens: number; micros: number },
    now: number,
    th: number[],
  ): Promise<ThresholdCrossing[]>;
  status(scope: string, nodes: NodeSpec[], now: number): Promise<NodeStatus[]>;
}

const orNone = (v: number | null): number => (v === null ? -1 : v);

/** The first version's client side (argument layout and decoding), driving the v1 scripts. */
class V1Driver implements Driver {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}
  private keys(scope: string, nodes: NodeSpec[]): string[] {
    return nodes.flatMap((s) => {
      const base = `${this.prefix}{${scope}}:${s.id}`;
      return [`${base}:w`, `${base}:s:${s.periodStart}`, `${base}:l`, `${base}:r`];
    });
  }
  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    const args: (string | number)[] = [
      req.now,
      req.leaseMs,
      req.id,
      req.tokens,
      req.micros,
      req.hold ? 1 : 0,
      req.nodes.length,
    ];
    for (const s of req.nodes)
      args.push(orNone(s.rpm), orNone(s.tpm), orNone(s.tpd), orNone(s.maxConcurrent), orNone(s.budgetMicros));
    for (const s of req.nodes) args.push(s.periodEnd);
    const keys = this.keys(req.scope, req.nodes);
    const out = (await this.redis.eval(RESERVE_LUA, keys.length, ...keys, ...args)) as (number | string)[];
    const views = req.nodes.map((spec, i) => {
      const o = 4 + i * 6;
      return {
        id: spec.id,
        rpm: spec.rpm,
        requestsUsed: Number(out[o]),
        requestsResetMs: Number(out[o + 1]),
        tpm: spec.tpm,
        tokensUsed: Number(out[o + 2]),
        tokensResetMs: Number(out[o + 3]),
        budgetMicros: spec.budgetMicros,
        spentMicros: Number(out[o + 4]),
        reservedMicros: Number(out[o + 5]),
      };
    });
    if (Number(out[0]) === 1) {
      const { id, scope, nodes, tokens, micros, hold } = req;
      return { ok: true, reservation: { id, scope, nodes, tokens, micros, at: req.now, hold }, views };
    }
    const retryAfterMs = Number(out[3]);
    return {
      ok: false,
      nodeId: req.nodes[Number(out[1]) - 1]!.id,
      reason: String(out[2]) as 'rpm',
      retryAfterMs,
      impossible: retryAfterMs < 0,
      views,
    };
  }
  async reconcile(res: Reservation, actual: { tokens: number; micros: number }, now: number, th: number[]) {
    const keys = this.keys(res.scope, res.nodes);
    keys.push(`${this.prefix}{${res.scope}}:done:${res.id}`);
    const args: (string | number)[] = [
      now,
      res.id,
      actual.tokens - res.tokens,
      res.at,
      actual.micros,
      res.hold ? 1 : 0,
    ];
    args.push(res.nodes.length, th.join(',') || '0');
    for (const s of res.nodes) args.push(orNone(s.budgetMicros), s.periodEnd + SPEND_RETENTION_MS);
    const out = (await this.redis.eval(RECONCILE_LUA, keys.length, ...keys, ...args)) as number[];
    const crossings: ThresholdCrossing[] = [];
    for (let i = 0; i + 2 < out.length; i += 3) {
      const s = res.nodes[Number(out[i]) - 1]!;
      crossings.push({
        nodeId: s.id,
        percent: Number(out[i + 1]),
        spentMicros: Number(out[i + 2]),
        budgetMicros: s.budgetMicros ?? 0,
        periodStart: s.periodStart,
      });
    }
    return crossings;
  }
  async status(scope: string, nodes: NodeSpec[], now: number): Promise<NodeStatus[]> {
    const keys = this.keys(scope, nodes);
    const out = (await this.redis.eval(STATUS_LUA, keys.length, ...keys, now, nodes.length)) as number[];
    return nodes.map((s, i) => ({
      id: s.id,
      spentMicros: out[i * 7]!,
      reservedMicros: out[i * 7 + 1]!,
      inFlight: out[i * 7 + 2]!,
      requestsLastMinute: out[i * 7 + 3]!,
      tokensLastMinute: out[i * 7 + 4]!,
      tokensLastDay: out[i * 7 + 5]!,
      spentLastHourMicros: out[i * 7 + 6]!,
    }));
  }
}

/** Deterministic PRNG (mulberry32) so a failure replays. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCOPE = 'org:u';
const nodes = (): NodeSpec[] => [
  spec('key:k', { rpm: 25, tpm: 9000, tpd: 60_000, maxConcurrent: 2, budgetMicros: 300_000 }),
  spec('team:t', { tpm: 12_000, budgetMicros: 80_000 }),
  spec('org:o', { rpm: 40, maxConcurrent: 6, budgetMicros: 1_000_000 }),
];
const provider = (): NodeSpec[] => [spec('provider:p', { rpm: 30, tpm: 8000 })];

/** Runs `steps` random operations from `from` on; `pick(i)` chooses the driver of step i. Returns the transcript. */
async function workload(seed: number, steps: number, pick: (i: number) => Driver): Promise<unknown[]> {
  const rand = rng(seed);
  const log: unknown[] = [];
  const open: Reservation[] = [];
  const settled: Reservation[] = [];
  let now = T0;
  for (let i = 0; i < steps; i++) {
    const d = pick(i);
    const x = rand();
    // Mostly sub-second steps, sometimes a new minute sub-bucket, an expired lease, a new hour.
    now += x < 0.05 ? 3_600_000 : x < 0.15 ? 20_000 : Math.floor(rand() * 1500);
    const op = rand();
    if (op < 0.5) {
      const provider_ = rand() < 0.15;
      const out = await d.reserve({
        id: `q${seed}-${i}`,
        scope: provider_ ? 'provider:p' : SCOPE,
        nodes: provider_ ? provider() : nodes(),
        tokens: 1 + Math.floor(rand() * 3000),
        micros: provider_ ? 0 : Math.floor(rand() * 4000),
        now,
        leaseMs: 15_000,
        hold: !provider_,
      });
      log.push(['reserve', i, out]);
      if (out.ok) open.push(out.reservation);
    } else if (op < 0.85 && open.length > 0) {
      const res = open.splice(Math.floor(rand() * open.length), 1)[0]!;
      const actual = { tokens: Math.floor(rand() * res.tokens * 1.3), micros: Math.floor(rand() * res.micros * 1.4) };
      log.push(['reconcile', i, await d.reconcile(res, actual, now, [50, 80, 100])]);
      settled.push(res);
    } else if (op < 0.9 && settled.length > 0) {
      const res = settled[Math.floor(rand() * settled.length)]!;
      log.push(['again', i, await d.reconcile(res, { tokens: 5, micros: 5 }, now, [50, 80, 100])]);
    } else {
      log.push(['status', i, await d.status(SCOPE, nodes(), now), await d.status('provider:p', provider(), now)]);
    }
  }
  log.push([
    'end',
    await pick(steps).status(SCOPE, nodes(), now),
    await pick(steps).status('provider:p', provider(), now),
  ]);
  return log;
}

/** The first differing transcript entry (both sides), or null: keeps a failure readable. */
function firstDiff(a: unknown[], b: unknown[]): unknown {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return { got: a[i], v1: b[i] };
  }
  return null;
}

/** Every key under a prefix: type, content, and whether it has a TTL (names without the prefix). */
async function dump(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const keys = (await redis.keys(`${prefix}*`)).sort();
  for (const k of keys) {
    const type = await redis.type(k);
    const ttl = await redis.pttl(k);
    const value =
      type === 'hash'
        ? await redis.hgetall(k)
        : type === 'zset'
          ? await redis.zrange(k, 0, -1, 'WITHSCORES')
          : await redis.get(k);
    out[k.slice(prefix.length)] = { type, value, hasTtl: ttl > 0 };
  }
  return out;
}

describe('redis scripts: same answers and same stored data as the first version', () => {
  let redis: Redis;
  const limiters: RedisLimiter[] = [];
  const newDriver = async (prefix: string): Promise<RedisLimiter> => {
    const l = await RedisLimiter.create({ url: TEST_REDIS_URL, keyPrefix: prefix });
    limiters.push(l);
    return l;
  };
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    for (const l of limiters) await l.close();
    redis.disconnect();
  });

  it('keeps the expiry guarantees: windows 25 h + 1 min, lease sets ≥ lease + 60 s after every admit, spend to period end + retention', async () => {
    const prefix = uniquePrefix('ttl');
    const l = await newDriver(prefix);
    const ns = nodes();
    const base = `${prefix}{${SCOPE}}:key:k`;
    const now = Date.now();
    const first = await l.reserve({
      id: 'ttl1',
      scope: SCOPE,
      nodes: ns,
      tokens: 10,
      micros: 10,
      now,
      leaseMs: 30_000,
      hold: true,
    });
    expect(first.ok).toBe(true);
    expect(await redis.pttl(`${base}:w`)).toBeGreaterThan(90_000_000);
    expect(await redis.pttl(`${base}:l`)).toBeGreaterThan(90_000 - 5_000);
    // A lease set whose TTL fell below lease + 60 s is refreshed by the next admit.
    await redis.pexpire(`${base}:l`, 50_000);
    await redis.pexpire(`${base}:r`, 50_000);
    const second = await l.reserve({
      id: 'ttl2',
      scope: SCOPE,
      nodes: ns,
      tokens: 10,
      micros: 10,
      now: now + 1,
      leaseMs: 30_000,
      hold: true,
    });
    expect(second.ok).toBe(true);
    for (const k of [`${base}:l`, `${base}:r`]) expect(await redis.pttl(k)).toBeGreaterThan(90_000 - 5_000);
    // Spend: created with its TTL, re-set when it drifted by more than an hour (e.g. a new period end).
    if (!first.ok) return;
    await l.reconcile(first.reservation, { tokens: 10, micros: 7 }, now + 2, []);
    const sKey = `${base}:s:${ns[0]!.periodStart}`;
    const want = ns[0]!.periodEnd + SPEND_RETENTION_MS - (now + 2);
    expect(Math.abs((await redis.pttl(sKey)) - want)).toBeLessThan(60_000);
    await redis.persist(sKey);
    if (!second.ok) return;
    await l.reconcile(second.reservation, { tokens: 10, micros: 7 }, now + 3, []);
    expect(Math.abs((await redis.pttl(sKey)) - want)).toBeLessThan(60_000);
    // A window field created by a reconcile (a new 5-min burn-rate bucket) renews the window's TTL.
    await redis.pexpire(`${base}:w`, 1_000_000);
    const third = await l.reserve({
      id: 'ttl3',
      scope: SCOPE,
      nodes: ns,
      tokens: 10,
      micros: 10,
      now: now + 4,
      leaseMs: 30_000,
      hold: true,
    });
    if (!third.ok) throw new Error('refused');
    await l.reconcile(third.reservation, { tokens: 10, micros: 7 }, now + 600_000, []);
    expect(await redis.pttl(`${base}:w`)).toBeGreaterThan(90_000_000);
  });

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: v1, current, and v1 upgraded to current halfway agree on every answer and on the data`, async () => {
      const base = uniquePrefix(`upgrade${seed}`);
      const pv1 = `${base}v1:`;
      const pnew = `${base}new:`;
      const pup = `${base}up:`;
      const steps = 600;
      const v1 = await workload(seed, steps, () => new V1Driver(redis, pv1));
      const current = await newDriver(pnew);
      const now = await workload(seed, steps, () => current);
      const upNew = await newDriver(pup);
      const upOld = new V1Driver(redis, pup);
      const up = await workload(seed, steps, (i) => (i < steps / 2 ? upOld : upNew));
      // The workload must exercise what it claims to.
      const flat = JSON.stringify(v1);
      for (const what of ['"rpm"', '"tpm"', '"tpd"', '"concurrency"', '"budget"', '"percent":50', '"percent":80']) {
        expect(flat.includes(what), what).toBe(true);
      }
      expect(firstDiff(now, v1)).toBeNull();
      expect(firstDiff(up, v1)).toBeNull();
      const d1 = await dump(redis, pv1);
      expect(Object.keys(d1).length).toBeGreaterThan(5);
      expect(await dump(redis, pnew)).toEqual(d1);
      expect(await dump(redis, pup)).toEqual(d1);
      // Every key expires (no key lives forever).
      for (const [k, v] of Object.entries(d1))
        expect({ k, ttl: (v as { hasTtl: boolean }).hasTtl }).toEqual({ k, ttl: true });
    });
  }
});
