/**
 * The limiter contract shared by the in-memory and the Redis backend (one test suite runs against
 * both: test/limits/limiter-suite.ts). A request reserves against every node of its hierarchy (and
 * provider accounts use single-node reservations) in ONE atomic all-or-nothing step.
 *
 * Windows: RPM/TPM are sliding windows of 12 five-second sub-buckets (the current one + 11 before
 * it: events of the last 55–60 s count); TPD uses 24 one-hour sub-buckets (the last 23–24 h).
 * Budgets: spend is an integer micro-dollar counter per (node, period start); reserved micros are
 * held per reservation under a lease and released by reconcile or lease expiry.
 */

/** What one node enforces for one request (limits read from the snapshot at reservation time). */
export interface NodeSpec {
  /** "key:x", "team:y", "org:z", or "provider:<id>". */
  id: string;
  rpm: number | null;
  tpm: number | null;
  tpd: number | null;
  maxConcurrent: number | null;
  /** Budget for the current period in micro-dollars, or null (spend is still tracked). */
  budgetMicros: number | null;
  /** Current period of this node (budget period in its timezone; UTC months when no budget). */
  periodStart: number;
  periodEnd: number;
}

export interface ReserveRequest {
  /** Unique reservation id. */
  id: string;
  /** Shared by every node of the request (Redis hash tag), e.g. "org:acme" or "provider:openai". */
  scope: string;
  nodes: NodeSpec[];
  tokens: number;
  micros: number;
  now: number;
  /** A reservation not reconciled within this time releases its slot and micros by itself. */
  leaseMs: number;
  /**
   * False for reservations that only count rate windows (provider accounts): no lease, no
   * concurrency slot, no micros held.
   */
  hold: boolean;
}

/** Usage of a node's rate windows as seen by a reserve call (after the reservation, when admitted). */
export interface NodeView {
  id: string;
  rpm: number | null;
  requestsUsed: number;
  /** Ms until the requests window has room for one more request (0 when it has). */
  requestsResetMs: number;
  tpm: number | null;
  tokensUsed: number;
  tokensResetMs: number;
  budgetMicros: number | null;
  spentMicros: number;
  reservedMicros: number;
}

export type RefusalReason = 'rpm' | 'tpm' | 'tpd' | 'concurrency' | 'budget';

export interface Reservation {
  id: string;
  scope: string;
  nodes: NodeSpec[];
  tokens: number;
  micros: number;
  /** Epoch ms of the reservation (its rate sub-buckets). */
  at: number;
  hold: boolean;
}

export type ReserveResult =
  | { ok: true; reservation: Reservation; views: NodeView[] }
  | {
      ok: false;
      nodeId: string;
      reason: RefusalReason;
      /** Ms until a retry can succeed (best estimate; period end for budgets). */
      retryAfterMs: number;
      /** True when the request can never fit (e.g. more tokens than the TPM limit itself). */
      impossible: boolean;
      views: NodeView[];
    };

export interface Actual {
  tokens: number;
  micros: number;
}

export interface ThresholdCrossing {
  nodeId: string;
  percent: number;
  spentMicros: number;
  budgetMicros: number;
  periodStart: number;
}

/** What an admin report needs about one node. */
export interface NodeStatus {
  id: string;
  spentMicros: number;
  reservedMicros: number;
  inFlight: number;
  requestsLastMinute: number;
  tokensLastMinute: number;
  tokensLastDay: number;
  /** Reconciled spend of the last 60 minutes (12 five-minute sub-buckets). */
  spentLastHourMicros: number;
}

export interface Limiter {
  readonly backend: 'memory' | 'redis';
  reserve(req: ReserveRequest): Promise<ReserveResult>;
  /**
   * Replaces the reservation with the actual amounts: releases the slot and held micros, charges
   * `actual.micros` to every node's period spend, corrects the token windows. Charges even when
   * the lease already expired (the spend happened). Returns the alert thresholds this crossed.
   */
  reconcile(
    res: Reservation,
    actual: Actual,
    now: number,
    thresholdsPercent: readonly number[],
  ): Promise<ThresholdCrossing[]>;
  status(scope: string, nodes: NodeSpec[], now: number): Promise<NodeStatus[]>;
  close(): Promise<void>;
}

/** Thrown by a backend that cannot answer (Redis down or slow); the caller applies the failure mode. */
export class LimiterUnavailableError extends Error {
  override name = 'LimiterUnavailableError';
}

/** Sub-bucket geometry, shared by both backends so they agree to the millisecond. */
export const MINUTE_BUCKET_MS = 5_000;
export const MINUTE_BUCKETS = 12;
export const DAY_BUCKET_MS = 3_600_000;
export const DAY_BUCKETS = 24;
export const HOUR_SPEND_BUCKET_MS = 300_000;
export const HOUR_SPEND_BUCKETS = 12;
/** Spend counters outlive their period by this margin (reports on the previous period, late reconciles). */
export const SPEND_RETENTION_MS = 35 * 86_400_000;
