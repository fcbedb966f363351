/**
 * The one limiter test suite, run against both backends (memory.test.ts, redis.test.ts).
 * Every test uses its own scope (hash tag) so tests never share state; the clock is injected.
 */
import { describe, expect, it } from 'vitest';
import { periodWindow } from '../../data-plane/limits/period.js';
import type { Limiter, NodeSpec, Reservation, ReserveRequest } from '../../data-plane/limits/types.js';

export interface LimiterFactory {
  make(): Promise<Limiter>;
}

/** Wednesday 2031-01-15 12:00:02 UTC — a future instant so Redis TTLs derived from it stay positive. */
export const T0 = Date.UTC(2031, 0, 15, 12, 0, 2);

let scopeSeq = 0;
export const freshScope = (): string => `org:s${process.pid}-${Date.now().toString(36)}-${scopeSeq++}`;

export function spec(id: string, over: Partial<NodeSpec> = {}, now = T0): NodeSpec {
  const w = periodWindow(now, 'monthly', 'UTC');
  return {
    id,
    rpm: null,
    tpm: null,
    tpd: null,
    maxConcurrent: null,
    budgetMicros: null,
    periodStart: w.start,
    periodEnd: w.end,
    ...over,
  };
}

let idSeq = 0;
export function req(scope: string, nodes: NodeSpec[], over: Partial<ReserveRequest> = {}): ReserveRequest {
  return { id: `r${idSeq++}`, scope, nodes, tokens: 100, micros: 100, now: T0, leaseMs: 60_000, hold: true, ...over };
}

async function reserveOk(limiter: Limiter, r: ReserveRequest): Promise<Reservation> {
  const out = await limiter.reserve(r);
  if (!out.ok) throw new Error(`expected admission, got ${out.reason} on ${out.nodeId}`);
  return out.reservation;
}

export function limiterSuite(name: string, factory: LimiterFactory): void {
  describe(`limiter contract: ${name}`, () => {
    const chain = (scope: string, over: Record<string, Partial<NodeSpec>> = {}) => [
      spec('key:k', over.key),
      spec('team:t', over.team),
      spec(scope, over.org),
    ];

    it('admits within limits and reports window usage', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const out = await l.reserve(req(scope, chain(scope, { key: { rpm: 10, tpm: 1000 } }), { tokens: 250 }));
      expect(out.ok).toBe(true);
      expect(out.views[0]).toMatchObject({ id: 'key:k', rpm: 10, requestsUsed: 1, tpm: 1000, tokensUsed: 250 });
      expect(out.views[0]!.tokensResetMs).toBeGreaterThan(55_000);
      expect(out.views[0]!.tokensResetMs).toBeLessThanOrEqual(60_000);
    });

    it('RPM: refuses the request over the limit with a retry time, admits after the window slides', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { team: { rpm: 3 } });
      for (let i = 0; i < 3; i++) await reserveOk(l, req(scope, nodes, { now: T0 + i * 1000 }));
      const refused = await l.reserve(req(scope, nodes, { now: T0 + 10_000 }));
      expect(refused).toMatchObject({ ok: false, reason: 'rpm', nodeId: 'team:t', impossible: false });
      if (refused.ok) return;
      // The first request's sub-bucket (T0 falls at 12:00:00–12:00:05) leaves the window at 12:01:00.
      expect(refused.retryAfterMs).toBe(Date.UTC(2031, 0, 15, 12, 1, 0) - (T0 + 10_000));
      expect((await l.reserve(req(scope, nodes, { now: T0 + 10_000 + refused.retryAfterMs }))).ok).toBe(true);
    });

    it('TPM: counts tokens, refuses what does not fit, flags requests larger than the limit', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { key: { tpm: 1000 } });
      await reserveOk(l, req(scope, nodes, { tokens: 700 }));
      expect(await l.reserve(req(scope, nodes, { tokens: 301 }))).toMatchObject({ ok: false, reason: 'tpm' });
      await reserveOk(l, req(scope, nodes, { tokens: 300 }));
      const huge = await l.reserve(req(scope, nodes, { tokens: 1001, now: T0 + 3_600_000 }));
      expect(huge).toMatchObject({ ok: false, reason: 'tpm', impossible: true });
    });

    it('TPD: a day window of hour sub-buckets', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { org: { tpd: 5000 } });
      for (let h = 0; h < 5; h++) await reserveOk(l, req(scope, nodes, { tokens: 1000, now: T0 + h * 3_600_000 }));
      const refused = await l.reserve(req(scope, nodes, { tokens: 1000, now: T0 + 5 * 3_600_000 }));
      expect(refused).toMatchObject({ ok: false, reason: 'tpd', nodeId: scope });
      expect((await l.reserve(req(scope, nodes, { tokens: 1000, now: T0 + 24 * 3_600_000 }))).ok).toBe(true);
    });

    it('max concurrent: a slot is held until reconcile', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { key: { maxConcurrent: 2 } });
      const a = await reserveOk(l, req(scope, nodes));
      await reserveOk(l, req(scope, nodes));
      expect(await l.reserve(req(scope, nodes))).toMatchObject({ ok: false, reason: 'concurrency' });
      await l.reconcile(a, { tokens: 10, micros: 10 }, T0 + 100, []);
      expect((await l.reserve(req(scope, nodes))).ok).toBe(true);
    });

    it('budget: reservations hold micros; reconcile charges actual and frees the rest', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { team: { budgetMicros: 1000 } });
      const a = await reserveOk(l, req(scope, nodes, { micros: 600 }));
      const refused = await l.reserve(req(scope, nodes, { micros: 600 }));
      expect(refused).toMatchObject({ ok: false, reason: 'budget', nodeId: 'team:t' });
      if (!refused.ok) expect(refused.retryAfterMs).toBe(1000); // fits once in-flight reservations settle
      await l.reconcile(a, { tokens: 50, micros: 300 }, T0 + 10, []);
      await reserveOk(l, req(scope, nodes, { micros: 600 }));
      const [team] = await l.status(scope, [nodes[1]!], T0 + 20);
      expect(team).toMatchObject({ spentMicros: 300, reservedMicros: 600, inFlight: 1 });
    });

    it('all-or-nothing: a team out of budget leaves no trace on the key', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { key: { rpm: 100, maxConcurrent: 5 }, team: { budgetMicros: 50 } });
      const refused = await l.reserve(req(scope, nodes, { micros: 60, tokens: 40 }));
      expect(refused).toMatchObject({ ok: false, reason: 'budget', nodeId: 'team:t' });
      const [key, team, org] = await l.status(scope, nodes, T0 + 1);
      for (const s of [key, team, org]) {
        expect(s).toMatchObject({ reservedMicros: 0, inFlight: 0, requestsLastMinute: 0, tokensLastMinute: 0 });
      }
    });

    it('reconcile refunds unused tokens and charges extra tokens in the reservation sub-bucket', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { key: { tpm: 1500 } });
      const a = await reserveOk(l, req(scope, nodes, { tokens: 1000 }));
      await l.reconcile(a, { tokens: 200, micros: 1 }, T0 + 500, []);
      const b = await reserveOk(l, req(scope, nodes, { tokens: 1200, now: T0 + 600 }));
      await l.reconcile(b, { tokens: 1300, micros: 1 }, T0 + 700, []);
      const [key] = await l.status(scope, [nodes[0]!], T0 + 800);
      expect(key!.tokensLastMinute).toBe(1500);
      expect(key!.tokensLastDay).toBe(1500);
    });

    it('lease: an unreconciled reservation frees its slot and micros by itself; a late reconcile still charges', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { key: { maxConcurrent: 1, budgetMicros: 1000 } });
      const a = await reserveOk(l, req(scope, nodes, { micros: 800, leaseMs: 1_000 }));
      expect(await l.reserve(req(scope, nodes, { now: T0 + 999 }))).toMatchObject({ ok: false });
      const [before] = await l.status(scope, [nodes[0]!], T0 + 999);
      expect(before).toMatchObject({ reservedMicros: 800, inFlight: 1 });
      const [after] = await l.status(scope, [nodes[0]!], T0 + 1_001);
      expect(after).toMatchObject({ reservedMicros: 0, inFlight: 0 });
      await l.reconcile(a, { tokens: 10, micros: 700 }, T0 + 5_000, []);
      const [charged] = await l.status(scope, [nodes[0]!], T0 + 5_001);
      expect(charged).toMatchObject({ spentMicros: 700, reservedMicros: 0, inFlight: 0 });
    });

    it('reconcile is idempotent: a retried reconcile never charges twice', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { key: { budgetMicros: 10_000 } });
      const a = await reserveOk(l, req(scope, nodes, { micros: 500 }));
      await l.reconcile(a, { tokens: 10, micros: 400 }, T0 + 1, []);
      await l.reconcile(a, { tokens: 10, micros: 400 }, T0 + 2, []);
      const [key] = await l.status(scope, [nodes[0]!], T0 + 3);
      expect(key).toMatchObject({ spentMicros: 400, reservedMicros: 0, tokensLastMinute: 10 });
    });

    it('overage: actual above the reservation is charged in full, then the node is locked', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { key: { budgetMicros: 1000 } });
      const a = await reserveOk(l, req(scope, nodes, { micros: 900 }));
      await l.reconcile(a, { tokens: 10, micros: 1_200 }, T0 + 1, []);
      const [key] = await l.status(scope, [nodes[0]!], T0 + 2);
      expect(key!.spentMicros).toBe(1_200);
      const locked = await l.reserve(req(scope, nodes, { micros: 0, now: T0 + 3 }));
      expect(locked).toMatchObject({ ok: false, reason: 'budget', impossible: false });
      if (!locked.ok) expect(locked.retryAfterMs).toBe(nodes[0]!.periodEnd - (T0 + 3));
    });

    it('budget raise/lower applies at once and never resets spend', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const at = (budgetMicros: number) => chain(scope, { team: { budgetMicros } });
      const a = await reserveOk(l, req(scope, at(1000), { micros: 800 }));
      await l.reconcile(a, { tokens: 1, micros: 800 }, T0 + 1, []);
      expect(await l.reserve(req(scope, at(500), { micros: 1 }))).toMatchObject({ ok: false, reason: 'budget' });
      expect(await l.reserve(req(scope, at(1000), { micros: 201 }))).toMatchObject({ ok: false, reason: 'budget' });
      const b = await reserveOk(l, req(scope, at(2000), { micros: 1000 }));
      await l.reconcile(b, { tokens: 1, micros: 100 }, T0 + 2, []);
      const [team] = await l.status(scope, [at(2000)[1]!], T0 + 3);
      expect(team!.spentMicros).toBe(900);
    });

    it('periods: spend of the previous period does not count in the next one (Europe/Berlin daily)', async () => {
      const l = await factory.make();
      const scope = freshScope();
      // 22:59:50 UTC on Jan 15 is 23:59:50 in Berlin; ten seconds later a new Berlin day starts.
      const late = Date.UTC(2031, 0, 15, 22, 59, 50);
      const early = late + 10_000;
      const daily = (now: number) => {
        const w = periodWindow(now, 'daily', 'Europe/Berlin');
        return chain(scope, { team: { budgetMicros: 1000, periodStart: w.start, periodEnd: w.end } });
      };
      expect(daily(late)[1]!.periodEnd).toBe(early);
      const a = await reserveOk(l, req(scope, daily(late), { micros: 1000, now: late }));
      await l.reconcile(a, { tokens: 1, micros: 1000 }, late + 1, []);
      const refused = await l.reserve(req(scope, daily(late), { micros: 1, now: late + 2 }));
      expect(refused).toMatchObject({ ok: false, reason: 'budget' });
      if (!refused.ok) expect(refused.retryAfterMs).toBe(Math.max(1000, early - (late + 2)));
      await reserveOk(l, req(scope, daily(early), { micros: 1000, now: early }));
      const [prev] = await l.status(scope, [daily(late)[1]!], early + 1);
      const [cur] = await l.status(scope, [daily(early)[1]!], early + 1);
      expect(prev!.spentMicros).toBe(1000);
      expect(cur!.spentMicros).toBe(0);
    });

    it('alerts: each threshold crosses once per node per period', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const nodes = chain(scope, { team: { budgetMicros: 1000 }, key: { budgetMicros: 10_000 } });
      const charge = async (micros: number) => {
        const r = await reserveOk(l, req(scope, nodes, { micros: 1 }));
        return l.reconcile(r, { tokens: 1, micros }, T0 + 1, [50, 80, 100]);
      };
      expect(await charge(400)).toEqual([]);
      const c1 = await charge(450);
      expect(c1.map((c) => [c.nodeId, c.percent, c.spentMicros])).toEqual([
        ['team:t', 50, 850],
        ['team:t', 80, 850],
      ]);
      expect(await charge(100)).toEqual([]);
    });

    it('hold=false (provider accounts): counts windows only, no slot, no micros', async () => {
      const l = await factory.make();
      const scope = `provider:p${scopeSeq++}`;
      const nodes = [spec(scope, { tpm: 1000, maxConcurrent: 1 })];
      await reserveOk(l, req(scope, nodes, { tokens: 400, hold: false }));
      const b = await reserveOk(l, req(scope, nodes, { tokens: 400, hold: false }));
      expect(await l.reserve(req(scope, nodes, { tokens: 400, hold: false }))).toMatchObject({
        ok: false,
        reason: 'tpm',
      });
      await l.reconcile(b, { tokens: 100, micros: 0 }, T0 + 1, []);
      const [s] = await l.status(scope, nodes, T0 + 2);
      expect(s).toMatchObject({ tokensLastMinute: 500, inFlight: 0, reservedMicros: 0, spentMicros: 0 });
    });

    it('concurrency: 300 parallel reservations never exceed the budget; overruns stay within the bound', async () => {
      const l = await factory.make();
      const scope = freshScope();
      const budget = 10_000;
      const nodes = chain(scope, { team: { budgetMicros: budget } });
      const attempts = Array.from({ length: 300 }, (_, i) =>
        l.reserve(req(scope, nodes, { id: `c${i}`, micros: 100 })),
      );
      const results = await Promise.all(attempts);
      const admitted = results.filter((r) => r.ok);
      expect(admitted).toHaveLength(100);
      // Settle with actual costs, some above their reservation (a provider that over-delivers).
      let overrun = 0;
      const settles = admitted.map((r, i) => {
        const actual = i % 7 === 0 ? 130 : 60;
        overrun += Math.max(0, actual - 100);
        return r.ok ? l.reconcile(r.reservation, { tokens: 1, micros: actual }, T0 + 5, []) : null;
      });
      await Promise.all(settles);
      const [team] = await l.status(scope, [nodes[1]!], T0 + 6);
      // The documented bound: spend ≤ budget + Σ over admitted requests of max(0, actual − reserved).
      expect(team!.spentMicros).toBeLessThanOrEqual(budget + overrun);
      expect(team!.spentMicros).toBe(15 * 130 + 85 * 60);
      expect(team!.reservedMicros).toBe(0);
    });
  });
}
