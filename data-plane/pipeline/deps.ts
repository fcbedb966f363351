import type { Logger } from 'pino';
import type { KeyRecord, Snapshot } from '../../common/snapshot.js';
import type { DataPlaneConfig } from '../config.js';
import type { Stage } from './types.js';

/** Read access to the live snapshot (the server pins one per request; background jobs use this). */
export interface SnapshotSource {
  current(): Snapshot | null;
  /** Called after every successful swap, with the new snapshot. */
  onSwap(listener: (snapshot: Snapshot) => void): void;
}

/**
 * Provider-account limits (TPM/RPM of an upstream account, shared by every route using it).
 * The router asks before choosing a target and settles afterwards.
 */
export interface ProviderAccountGate {
  /**
   * False when taking `tokens` now would exceed the account's limits (skip this target). A plain
   * boolean when the answer needs no I/O (no account limits, in-process limiter), so the router
   * pays no promise hop; a promise when a shared backend (Redis) must be asked.
   */
  tryAcquire(snapshot: Snapshot, providerId: string, tokens: number): boolean | Promise<boolean>;
  /** Corrects the earlier estimate with the real token count. */
  settle(snapshot: Snapshot, providerId: string, reservedTokens: number, actualTokens: number): void;
}

/** An admin HTTP endpoint a stage contributes (usage API, cache purge, budgets…). */
export interface AdminRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Exact path, e.g. "/admin/cache/purge". */
  path: string;
  handler(req: AdminRequest): Promise<AdminResponse>;
}
export interface AdminRequest {
  query: URLSearchParams;
  /** Parsed JSON body (POST/DELETE), or null. */
  body: unknown;
  snapshot: Snapshot;
}
export interface AdminResponse {
  status: number;
  body: unknown;
  /** Defaults to application/json; set e.g. text/plain for Prometheus-style output. */
  contentType?: string;
}

/**
 * An endpoint for API clients (authenticated with their virtual key), e.g. GET /v1/queue/{id}.
 * Matched by path prefix; the server has already authenticated the key.
 */
export interface ClientRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** e.g. "/v1/queue/" — the rest of the path is passed as `rest`. */
  pathPrefix: string;
  handler(req: ClientRequest): Promise<AdminResponse>;
}
export interface ClientRequest {
  rest: string;
  query: URLSearchParams;
  headers: Readonly<Record<string, string>>;
  key: KeyRecord;
  snapshot: Snapshot;
  signal: AbortSignal;
}

export interface StageDeps {
  config: DataPlaneConfig;
  logger: Logger;
  snapshots: SnapshotSource;
  providerGate: ProviderAccountGate;
}

/** What each stage factory returns: the stage, its admin routes, and how to shut it down. */
export interface BuiltStage extends Stage {
  adminRoutes?: AdminRoute[];
  clientRoutes?: ClientRoute[];
  /** Flush and close (called on graceful shutdown, after in-flight requests finished). */
  close?(): Promise<void>;
}
