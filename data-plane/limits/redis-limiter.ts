/**
 * The shared limiter: state in Redis so every replica enforces the same limits (never ×N).
 * Scripts are loaded once with SCRIPT LOAD and called by EVALSHA; a NOSCRIPT reply (Redis
 * restarted or SCRIPT FLUSH) reloads and retries once. Auto-pipelining batches the EVALSHAs of
 * concurrent requests into one write per event-loop turn. A short command timeout and no offline
 * queue make an unreachable Redis fail fast with LimiterUnavailableError (the caller applies
 * the route's failure mode) instead of hanging requests.
 *
 * The timeout tolerates event-loop lag: when it fires, the decision waits one setImmediate so a
 * reply already sitting in the socket (a busy process, not a slow Redis) is read first. A
 * reservation that Redis applied after the caller gave up is released as soon as its reply lands.
 */
import { Redis } from 'ioredis';
import { reconcileFieldNames, windowFieldNames } from './redis-fields.js';
import { RECONCILE_LUA, RESERVE_LUA, STATUS_LUA } from './redis-scripts.js';
import {
  type Actual,
  type Limiter,
  LimiterUnavailableError,
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

export interface RedisLimiterOptions {
  url: string;
  /** Prepended to every key (before the hash tag), e.g. "sluice:" or a test's uniquePrefix(). */
  keyPrefix?: string;
  /** Per-command timeout; a slower Redis counts as unavailable. */
  commandTimeoutMs?: number;
  /** How long create() waits for the first connection before returning anyway. */
  connectTimeoutMs?: number;
}

type ScriptName = 'reserve' | 'reconcile' | 'status';
const SOURCES: Record<ScriptName, string> = { reserve: RESERVE_LUA, reconcile: RECONCILE_LUA, status: STATUS_LUA };
const REASONS = new Set<RefusalReason>(['rpm', 'tpm', 'tpd', 'concurrency', 'budget']);

/** Env override for operators on loaded hosts; short by default so an outage is noticed fast. */
const DEFAULT_TIMEOUT_MS = Number(process.env.SLUICE_LIMITER_TIMEOUT_MS ?? 1_000);

const orNone = (v: number | null): number => (v === null ? -1 : v);

export class RedisLimiter implements Limiter {
  readonly backend = 'redis' as const;
  private readonly shas = new Map<ScriptName, string>();
  private readonly prefix: string;

  private constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly timeoutMs: number,
  ) {
    this.prefix = prefix;
  }

  static async create(options: RedisLimiterOptions): Promise<RedisLimiter> {
    const timeoutMs = options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const redis = new Redis(options.url, {
      // Backstop only; the lag-tolerant timeout in run() decides first.
      commandTimeout: Math.max(2_000, timeoutMs * 4),
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      // Keep reconnecting in the background (capped backoff); requests meanwhile fail fast.
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      lazyConnect: true,
    });
    // Without a listener ioredis prints every connection error; the failure mode reports them.
    redis.on('error', () => {});
    const limiter = new RedisLimiter(redis, options.keyPrefix ?? 'sluice:', timeoutMs);
    redis.on('ready', () => {
      limiter.loadScripts().catch(() => {});
    });
    const timeout = options.connectTimeoutMs ?? 2_000;
    await Promise.race([
      redis.connect().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, timeout).unref()),
    ]);
    if (redis.status === 'ready') await limiter.loadScripts().catch(() => {});
    return limiter;
  }

  private async loadScripts(): Promise<void> {
    for (const name of Object.keys(SOURCES) as ScriptName[]) {
      const sha = (await this.redis.script('LOAD', SOURCES[name])) as string;
      this.shas.set(name, sha);
    }
  }

  /**
   * Runs a script within the timeout. `late` receives the result of a call that completed after
   * the caller was told the limiter is unavailable (to undo a reservation nobody will use).
   */
  private run(
    name: ScriptName,
    keys: string[],
    args: (string | number)[],
    late?: (result: unknown) => void,
  ): Promise<unknown> {
    if (this.redis.status !== 'ready') {
      return Promise.reject(new LimiterUnavailableError(`redis is ${this.redis.status}`));
    }
    const call = this.call(name, keys, args);
    return new Promise((resolve, reject) => {
      let decided = false;
      const timer = setTimeout(() => {
        // Let pending socket reads run first (poll phase precedes the check phase).
        setImmediate(() => {
          if (decided) return;
          decided = true;
          reject(new LimiterUnavailableError(`redis did not answer within ${this.timeoutMs} ms`));
        });
      }, this.timeoutMs);
      call.then(
        (v) => {
          clearTimeout(timer);
          if (!decided) {
            decided = true;
            resolve(v);
          } else late?.(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (!decided) {
            decided = true;
            reject(err);
          }
        },
      );
    });
  }

  private async call(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      let sha = this.shas.get(name);
      if (!sha) {
        await this.loadScripts();
        sha = this.shas.get(name)!;
      }
      try {
        return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        await this.loadScripts();
        return await this.redis.evalsha(this.shas.get(name)!, keys.length, ...keys, ...args);
      }
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('ERR')) throw err; // a script bug, not an outage
      throw new LimiterUnavailableError(`redis: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private nodeKeys(scope: string, spec: NodeSpec): string[] {
    const base = `${this.prefix}{${scope}}:${spec.id}`;
    return [`${base}:w`, `${base}:s:${spec.periodStart}`, `${base}:l`, `${base}:r`];
  }

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    const keys = req.nodes.flatMap((s) => this.nodeKeys(req.scope, s));
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
    for (const f of windowFieldNames(
      req.now,
      req.nodes.some((n) => n.tpd !== null),
    ))
      args.push(f);
    const out = (await this.run('reserve', keys, args, (late) => this.undoLate(req, late))) as (number | string)[];
    const views: NodeView[] = req.nodes.map((spec, i) => {
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
      const reservation: Reservation = {
        id: req.id,
        scope: req.scope,
        nodes: req.nodes,
        tokens: req.tokens,
        micros: req.micros,
        at: req.now,
        hold: req.hold,
      };
      return { ok: true, reservation, views };
    }
    const reason = String(out[2]) as RefusalReason;
    if (!REASONS.has(reason)) throw new Error(`limiter script returned unknown reason "${reason}"`);
    const retryAfterMs = Number(out[3]);
    return {
      ok: false,
      nodeId: req.nodes[Number(out[1]) - 1]!.id,
      reason,
      retryAfterMs,
      impossible: retryAfterMs < 0,
      views,
    };
  }

  /** A reservation admitted after its caller timed out: release it (nothing was served). */
  private undoLate(req: ReserveRequest, late: unknown): void {
    if (!Array.isArray(late) || Number(late[0]) !== 1) return;
    const res: Reservation = { ...req, at: req.now };
    this.reconcile(res, { tokens: 0, micros: 0 }, req.now, []).catch(() => {});
  }

  async reconcile(
    res: Reservation,
    actual: Actual,
    now: number,
    thresholdsPercent: readonly number[],
  ): Promise<ThresholdCrossing[]> {
    const keys = res.nodes.flatMap((s) => this.nodeKeys(res.scope, s));
    keys.push(`${this.prefix}{${res.scope}}:done:${res.id}`);
    const args: (string | number)[] = [
      now,
      res.id,
      actual.tokens - res.tokens,
      res.at,
      actual.micros,
      res.hold ? 1 : 0,
      res.nodes.length,
      thresholdsPercent.join(',') || '0',
    ];
    for (const s of res.nodes) args.push(orNone(s.budgetMicros), s.periodEnd + SPEND_RETENTION_MS);
    for (const f of reconcileFieldNames(now, res.at)) args.push(f);
    args.push(res.micros);
    const out = (await this.run('reconcile', keys, args)) as number[];
    const crossings: ThresholdCrossing[] = [];
    for (let i = 0; i + 2 < out.length; i += 3) {
      const spec = res.nodes[Number(out[i]) - 1]!;
      crossings.push({
        nodeId: spec.id,
        percent: Number(out[i + 1]),
        spentMicros: Number(out[i + 2]),
        budgetMicros: spec.budgetMicros ?? 0,
        periodStart: spec.periodStart,
      });
    }
    return crossings;
  }

  async status(scope: string, nodes: NodeSpec[], now: number): Promise<NodeStatus[]> {
    if (nodes.length === 0) return [];
    const keys = nodes.flatMap((s) => this.nodeKeys(scope, s));
    const out = (await this.run('status', keys, [now, nodes.length, ...windowFieldNames(now, true)])) as number[];
    return nodes.map((spec, i) => {
      const o = i * 7;
      return {
        id: spec.id,
        spentMicros: Number(out[o]),
        reservedMicros: Number(out[o + 1]),
        inFlight: Number(out[o + 2]),
        requestsLastMinute: Number(out[o + 3]),
        tokensLastMinute: Number(out[o + 4]),
        tokensLastDay: Number(out[o + 5]),
        spentLastHourMicros: Number(out[o + 6]),
      };
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
