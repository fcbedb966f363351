/**
 * The embedded limiter: all state in this process. Every call runs synchronously inside one
 * event-loop turn, which is what makes a reservation across the hierarchy atomic here.
 * Period-to-date spend of a (node, period) is loaded from `restoreSpend` (the SQLite ledger) the
 * first time this process sees it, so a restart loses no reconciled spend.
 */
import {
  type Actual,
  DAY_BUCKET_MS,
  DAY_BUCKETS,
  HOUR_SPEND_BUCKET_MS,
  HOUR_SPEND_BUCKETS,
  type Limiter,
  MINUTE_BUCKET_MS,
  MINUTE_BUCKETS,
  type NodeSpec,
  type NodeStatus,
  type NodeView,
  type RefusalReason,
  type Reservation,
  type ReserveRequest,
  type ReserveResult,
  SPEND_RETENTION_MS,
  type ThresholdCrossing,
} from './types.js';
import { addTo, type Buckets, msUntilRoom, windowSum } from './windows.js';

/** Period-to-date spend of a node from the durable ledger (micro-dollars since `periodStart`). */
export type SpendRestorer = (nodeId: string, periodStart: number) => number;

interface PeriodSpend {
  micros: number;
  alerted: Set<number>;
}

interface NodeState {
  requests: Buckets;
  tokens: Buckets;
  dayTokens: Buckets;
  spendHour: Buckets;
  spend: Map<number, PeriodSpend>;
  /** Live leases in insertion order (≈ expiry order: the lease length rarely changes). */
  leases: Map<string, { expiresAt: number; micros: number }>;
  reservedMicros: number;
}

export interface MemoryLimiterOptions {
  restoreSpend?: SpendRestorer;
}

export class MemoryLimiter implements Limiter {
  readonly backend = 'memory' as const;
  /** scope → node id → state (nested, so no key string is built per lookup). */
  private readonly nodes = new Map<string, Map<string, NodeState>>();
  /**
   * Reconciled reservations (reconcile is idempotent). Reservations never leave this process, so
   * a retry passes the same object: a WeakSet forgets each one with its last reference. (A map of
   * ids kept for a day grew by one entry per request and hit V8's Map limit of 2^24 entries after
   * a few hours at ~2 000 requests/s, after which every reconcile threw.)
   */
  private readonly reconciled = new WeakSet<Reservation>();

  constructor(private readonly options: MemoryLimiterOptions = {}) {}

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    const out = this.reserveSync(req);
    // Callers of the async API read the views later: fix their reset times now, as plain objects.
    out.views = out.views.map((v) => (v instanceof MemoryNodeView ? v.toJSON() : v));
    return out;
  }

  reserveSync(req: ReserveRequest): ReserveResult {
    const { now } = req;
    const minute = Math.floor(now / MINUTE_BUCKET_MS);
    const day = Math.floor(now / DAY_BUCKET_MS);
    const states = req.nodes.map((spec) => this.state(req.scope, spec.id, now));
    // Phase 1: check every node; nothing is written unless all of them admit the request.
    for (let i = 0; i < req.nodes.length; i++) {
      const spec = req.nodes[i]!;
      const st = states[i]!;
      const refusal = this.check(spec, st, req, minute, day);
      if (refusal) {
        return {
          ok: false,
          nodeId: spec.id,
          reason: refusal.reason,
          retryAfterMs: refusal.retryAfterMs,
          impossible: refusal.retryAfterMs < 0,
          views: req.nodes.map((s, j) => this.view(s, states[j]!, now)),
        };
      }
    }
    // Phase 2: apply to all.
    for (let i = 0; i < req.nodes.length; i++) {
      const st = states[i]!;
      addTo(st.requests, minute, 1);
      addTo(st.tokens, minute, req.tokens);
      addTo(st.dayTokens, day, req.tokens);
      if (req.hold) {
        st.leases.set(req.id, { expiresAt: now + req.leaseMs, micros: req.micros });
        st.reservedMicros += req.micros;
      }
    }
    const reservation: Reservation = {
      id: req.id,
      scope: req.scope,
      nodes: req.nodes,
      tokens: req.tokens,
      micros: req.micros,
      at: now,
      hold: req.hold,
    };
    return { ok: true, reservation, views: req.nodes.map((s, j) => this.view(s, states[j]!, now)) };
  }

  private check(
    spec: NodeSpec,
    st: NodeState,
    req: ReserveRequest,
    minute: number,
    day: number,
  ): { reason: RefusalReason; retryAfterMs: number } | null {
    const { now } = req;
    if (spec.budgetMicros !== null && req.hold) {
      const spent = this.periodSpend(spec, st).micros;
      if (spent >= spec.budgetMicros || spent + st.reservedMicros + req.micros > spec.budgetMicros) {
        // Can fit later if in-flight reservations release; otherwise only a new period helps.
        const fitsWhenIdle = spent + req.micros <= spec.budgetMicros && spent < spec.budgetMicros;
        return { reason: 'budget', retryAfterMs: fitsWhenIdle ? 1_000 : Math.max(1_000, spec.periodEnd - now) };
      }
    }
    if (spec.maxConcurrent !== null && req.hold && st.leases.size + 1 > spec.maxConcurrent) {
      return { reason: 'concurrency', retryAfterMs: spec.maxConcurrent < 1 ? -1 : 1_000 };
    }
    if (spec.rpm !== null && windowSum(st.requests, minute, MINUTE_BUCKETS) + 1 > spec.rpm) {
      return {
        reason: 'rpm',
        retryAfterMs: msUntilRoom(st.requests, now, MINUTE_BUCKET_MS, MINUTE_BUCKETS, spec.rpm, 1),
      };
    }
    if (spec.tpm !== null && windowSum(st.tokens, minute, MINUTE_BUCKETS) + req.tokens > spec.tpm) {
      const wait = msUntilRoom(st.tokens, now, MINUTE_BUCKET_MS, MINUTE_BUCKETS, spec.tpm, req.tokens);
      return { reason: 'tpm', retryAfterMs: wait };
    }
    if (spec.tpd !== null && windowSum(st.dayTokens, day, DAY_BUCKETS) + req.tokens > spec.tpd) {
      const wait = msUntilRoom(st.dayTokens, now, DAY_BUCKET_MS, DAY_BUCKETS, spec.tpd, req.tokens);
      return { reason: 'tpd', retryAfterMs: wait };
    }
    return null;
  }

  async reconcile(
    res: Reservation,
    actual: Actual,
    now: number,
    thresholdsPercent: readonly number[],
  ): Promise<ThresholdCrossing[]> {
    return this.reconcileSync(res, actual, now, thresholdsPercent);
  }

  /** reconcile() without the promise: the limits stage calls it directly (no microtask hop). */
  reconcileSync(
    res: Reservation,
    actual: Actual,
    now: number,
    thresholdsPercent: readonly number[],
  ): ThresholdCrossing[] {
    const crossings: ThresholdCrossing[] = [];
    if (this.reconciled.has(res)) return crossings;
    this.reconciled.add(res);
    const delta = actual.tokens - res.tokens;
    const resMinute = Math.floor(res.at / MINUTE_BUCKET_MS);
    const resDay = Math.floor(res.at / DAY_BUCKET_MS);
    const minute = Math.floor(now / MINUTE_BUCKET_MS);
    const day = Math.floor(now / DAY_BUCKET_MS);
    for (const spec of res.nodes) {
      const st = this.state(res.scope, spec.id, now);
      const lease = st.leases.get(res.id);
      if (lease) {
        st.leases.delete(res.id);
        st.reservedMicros -= lease.micros;
      }
      // Corrections land in the reservation's own sub-bucket while it is still counted; an
      // extra charge after it left the window counts now (the tokens were used recently).
      if (minute - resMinute < MINUTE_BUCKETS) addTo(st.tokens, resMinute, delta);
      else if (delta > 0) addTo(st.tokens, minute, delta);
      if (day - resDay < DAY_BUCKETS) addTo(st.dayTokens, resDay, delta);
      else if (delta > 0) addTo(st.dayTokens, day, delta);
      if (!res.hold || actual.micros <= 0) continue;
      const period = this.periodSpend(spec, st);
      period.micros += actual.micros;
      addTo(st.spendHour, Math.floor(now / HOUR_SPEND_BUCKET_MS), actual.micros);
      if (spec.budgetMicros !== null && spec.budgetMicros > 0) {
        for (const pct of thresholdsPercent) {
          if (period.micros * 100 >= pct * spec.budgetMicros && !period.alerted.has(pct)) {
            period.alerted.add(pct);
            crossings.push({
              nodeId: spec.id,
              percent: pct,
              spentMicros: period.micros,
              budgetMicros: spec.budgetMicros,
              periodStart: spec.periodStart,
            });
          }
        }
      }
    }
    return crossings;
  }

  async status(scope: string, nodes: NodeSpec[], now: number): Promise<NodeStatus[]> {
    const minute = Math.floor(now / MINUTE_BUCKET_MS);
    return nodes.map((spec) => {
      const st = this.state(scope, spec.id, now);
      return {
        id: spec.id,
        spentMicros: this.periodSpend(spec, st).micros,
        reservedMicros: st.reservedMicros,
        inFlight: st.leases.size,
        requestsLastMinute: windowSum(st.requests, minute, MINUTE_BUCKETS),
        tokensLastMinute: windowSum(st.tokens, minute, MINUTE_BUCKETS),
        tokensLastDay: windowSum(st.dayTokens, Math.floor(now / DAY_BUCKET_MS), DAY_BUCKETS),
        spentLastHourMicros: windowSum(st.spendHour, Math.floor(now / HOUR_SPEND_BUCKET_MS), HOUR_SPEND_BUCKETS),
      };
    });
  }

  /** Loads period-to-date spend for these nodes now (start-up, new snapshot) instead of on first use. */
  prime(scope: string, nodes: NodeSpec[], now: number): void {
    for (const spec of nodes) this.periodSpend(spec, this.state(scope, spec.id, now));
  }

  async close(): Promise<void> {}

  private state(scope: string, id: string, now: number): NodeState {
    let inScope = this.nodes.get(scope);
    if (!inScope) {
      inScope = new Map();
      this.nodes.set(scope, inScope);
    }
    let st = inScope.get(id);
    if (!st) {
      st = {
        requests: new Map(),
        tokens: new Map(),
        dayTokens: new Map(),
        spendHour: new Map(),
        spend: new Map(),
        leases: new Map(),
        reservedMicros: 0,
      };
      inScope.set(id, st);
    }
    for (const [rid, lease] of st.leases) {
      if (lease.expiresAt > now) break;
      st.leases.delete(rid);
      st.reservedMicros -= lease.micros;
    }
    return st;
  }

  private periodSpend(spec: NodeSpec, st: NodeState): PeriodSpend {
    let p = st.spend.get(spec.periodStart);
    if (!p) {
      const restored = this.options.restoreSpend?.(spec.id, spec.periodStart) ?? 0;
      p = { micros: restored, alerted: new Set() };
      st.spend.set(spec.periodStart, p);
      for (const start of st.spend.keys()) {
        if (start < spec.periodStart - SPEND_RETENTION_MS) st.spend.delete(start);
      }
    }
    return p;
  }

  private view(spec: NodeSpec, st: NodeState, now: number): NodeView {
    return new MemoryNodeView(spec, st, now);
  }
}

/**
 * A node's view after a reservation. The reset times walk a whole window each and only the node
 * with the least room is reported in the headers, so they are computed on first read (the limits
 * stage reads them in the same synchronous turn as reserveSync; reserve() reads them at once).
 */
class MemoryNodeView implements NodeView {
  readonly id: string;
  readonly rpm: number | null;
  readonly requestsUsed: number;
  readonly tpm: number | null;
  readonly tokensUsed: number;
  readonly budgetMicros: number | null;
  readonly spentMicros: number;
  readonly reservedMicros: number;
  private requestsReset = -1;
  private tokensReset = -1;

  constructor(
    spec: NodeSpec,
    private readonly st: NodeState,
    private readonly now: number,
  ) {
    const minute = Math.floor(now / MINUTE_BUCKET_MS);
    this.id = spec.id;
    this.rpm = spec.rpm;
    this.requestsUsed = windowSum(st.requests, minute, MINUTE_BUCKETS);
    this.tpm = spec.tpm;
    this.tokensUsed = windowSum(st.tokens, minute, MINUTE_BUCKETS);
    this.budgetMicros = spec.budgetMicros;
    this.spentMicros = st.spend.get(spec.periodStart)?.micros ?? 0;
    this.reservedMicros = st.reservedMicros;
  }

  get requestsResetMs(): number {
    if (this.requestsReset < 0) {
      const rpm = this.rpm;
      this.requestsReset =
        rpm === null
          ? 0
          : Math.max(0, msUntilRoom(this.st.requests, this.now, MINUTE_BUCKET_MS, MINUTE_BUCKETS, rpm, rpm));
    }
    return this.requestsReset;
  }

  get tokensResetMs(): number {
    if (this.tokensReset < 0) {
      const tpm = this.tpm;
      this.tokensReset =
        tpm === null
          ? 0
          : Math.max(0, msUntilRoom(this.st.tokens, this.now, MINUTE_BUCKET_MS, MINUTE_BUCKETS, tpm, tpm));
    }
    return this.tokensReset;
  }

  /** Plain-object form (reset times computed now), for callers that keep the view. */
  toJSON(): NodeView {
    return {
      id: this.id,
      rpm: this.rpm,
      requestsUsed: this.requestsUsed,
      requestsResetMs: this.requestsResetMs,
      tpm: this.tpm,
      tokensUsed: this.tokensUsed,
      tokensResetMs: this.tokensResetMs,
      budgetMicros: this.budgetMicros,
      spentMicros: this.spentMicros,
      reservedMicros: this.reservedMicros,
    };
  }
}
