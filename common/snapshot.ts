/**
 * The compiled snapshot: the one contract between the control plane (which produces it)
 * and the data plane (which serves from it). Plain JSON, flattened so that every hot-path
 * lookup is a single property access. Both halves import this module; nothing here may
 * import from control-plane/ or data-plane/.
 *
 * Units (exact, integers only, see common/money.ts):
 * - money amounts (budgets, thresholds) are integer micro-dollars (1 USD = 1_000_000);
 * - prices are integer pico-dollars per token (= USD per 1M tokens × 1_000_000), so a
 *   request's cost is an exact integer in pico-dollars;
 * - times are epoch milliseconds (UTC); durations are milliseconds.
 */

export const SNAPSHOT_SCHEMA_VERSION = 1 as const;

export interface Snapshot {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  /** Content hash of everything below, e.g. "v-3f9a1c0b2d4e5f60". Same config → same version. */
  version: string;
  /** Optional provenance (git revision) — excluded from the hash. */
  source?: { revision?: string; files?: number };
  gateway: GatewaySettings;
  /** Budget/limit nodes by id: "org:<name>", "team:<name>", "key:<name>". */
  nodes: Record<string, BudgetNode>;
  /** Virtual keys by lowercase hex SHA-256 of the secret. */
  keys: Record<string, KeyRecord>;
  providers: Record<string, ProviderRecord>;
  /** Routes by the model alias clients send. */
  routes: Record<string, RouteRecord>;
  /** Dated prices by "<provider id>/<upstream model>", sorted by effectiveFrom ascending. */
  pricing: Record<string, PriceEntry[]>;
  cachePolicies: Record<string, CachePolicyRecord>;
  guardrails: Record<string, GuardrailRecord>;
}

export interface GatewaySettings {
  /** Extra share of the estimated tokens/dollars reserved before an upstream call (10 = 10%). */
  reservationBufferPercent: number;
  /** Output tokens assumed when a request sets no max_tokens and the route sets none. */
  defaultMaxOutputTokens: number;
  /** Request bodies larger than this get 413. */
  maxBodyBytes: number;
  /** Lease on a reservation: a reservation not reconciled within this time expires by itself. */
  reservationLeaseMs: number;
  queue: { maxSize: number; maxWaitMs: number; resultTtlMs: number; agingMsPerPriority: number };
  /** SHA-256 hex hashes of admin tokens (usage API, cache purge, status). */
  adminKeyHashes: string[];
  /** Budget alert thresholds in percent, e.g. [50, 80, 100]. */
  alertThresholdsPercent: number[];
  alertWebhook: SecretRef | null;
  /** What a limiter backend outage does by default; routes may override. */
  limiterFailureMode: 'open' | 'closed';
}

export type BudgetPeriod = 'daily' | 'weekly' | 'monthly';

export interface Budget {
  amountMicros: number;
  period: BudgetPeriod;
  /** IANA timezone where the period boundary falls, e.g. "Europe/Berlin". */
  timezone: string;
}

export interface Limits {
  rpm: number | null;
  tpm: number | null;
  tpd: number | null;
  maxConcurrent: number | null;
}

export interface BudgetNode {
  /** "org:acme", "team:search", "key:search-prod". */
  id: string;
  kind: 'org' | 'team' | 'key';
  name: string;
  parent: string | null;
  budget: Budget | null;
  limits: Limits;
  tags: Record<string, string>;
}

export interface KeyRecord {
  /** Key name from config (never the secret). */
  name: string;
  /** Lowercase hex SHA-256 of the secret. */
  hash: string;
  /** Node ids that one request reserves against, innermost first: key, team, org. */
  chain: string[];
  team: string;
  org: string;
  status: 'active' | 'disabled' | 'revoked';
  /** Epoch ms, or null for no expiry. */
  expiresAt: number | null;
  /** Higher is served first from the queue. */
  priority: number;
  /** Effective allow-list: the intersection over key, team and org; ['*'] means all routes. */
  allowedRoutes: string[];
  /** Resolved cache policy id (key overrides team overrides org), or null for no caching. */
  cachePolicy: string | null;
  /** Resolved guardrail policy ids, applied in order. */
  guardrails: string[];
  /** Merged attribution tags (org < team < key). */
  tags: Record<string, string>;
  metadata: Record<string, string>;
}

/** A reference to a secret: "env:NAME" or "file:/path". Never a plaintext secret. */
export type SecretRef = string;

export type ProviderType = 'openai' | 'anthropic' | 'gemini' | 'openai-compatible' | 'simulated';

export interface ProviderRecord {
  id: string;
  type: ProviderType;
  baseUrl: string;
  credential: SecretRef | null;
  headers: Record<string, string>;
  timeouts: Timeouts;
  /** Account-level limits of the provider account (shared by all routes using it). */
  limits: { tpm: number | null; rpm: number | null };
  /** Max concurrent upstream connections in the keep-alive pool. */
  maxConnections: number;
  /** Only for type "simulated". */
  simulated: SimulatedSettings | null;
}

export interface SimulatedSettings {
  /** Delay before the first token. */
  latencyMs: number;
  /** Delay between streamed chunks. */
  interChunkMs: number;
  /** Completion tokens produced when max_tokens allows. */
  outputTokens: number;
  /** Share of requests (0..1) answered with a 500, chosen deterministically from the request. */
  errorRate: number;
  seed: number;
}

export interface Timeouts {
  connectMs: number;
  firstTokenMs: number;
  totalMs: number;
}

export type RetryOn = 'rate_limit' | 'server_error' | 'timeout' | 'connection';

export interface RouteTarget {
  provider: string;
  /** Upstream model name sent to the provider. */
  model: string;
  weight: number;
  /** Context window of the upstream model in tokens (null when unknown). */
  contextWindow: number | null;
}

export interface RouteRecord {
  name: string;
  kind: 'chat' | 'embeddings';
  targets: RouteTarget[];
  /** Route names tried in order after every target of this route failed. */
  fallback: string[];
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number; on: RetryOn[] };
  timeouts: Timeouts;
  circuitBreaker: { failureThreshold: number; cooldownMs: number; halfOpenProbes: number };
  /** Route to use when the provider says the prompt does not fit the context window. */
  contextWindowFallback: string | null;
  onExhausted: 'queue' | 'reject';
  /** Output tokens assumed for reservations when the request sets no max_tokens. */
  defaultMaxOutputTokens: number;
  /** null = use gateway.limiterFailureMode. */
  limiterFailureMode: 'open' | 'closed' | null;
  tags: Record<string, string>;
}

export interface PriceEntry {
  /** Epoch ms from which this price applies (inclusive). */
  effectiveFrom: number;
  /** Pico-dollars per token (USD per 1M tokens × 1e6). */
  inputPico: number;
  outputPico: number;
  cachedInputPico: number;
  cacheWritePico: number;
}

export interface CachePolicyRecord {
  id: string;
  /**
   * Cache namespace: entries are shared only inside one namespace. "team" (default) and "org"
   * resolve per request; any other string is a named namespace shared by every key using it.
   */
  scope: 'team' | 'org' | 'key' | { shared: string };
  exact: { enabled: boolean; ttlMs: number };
  semantic: {
    enabled: boolean;
    threshold: number;
    embedder: EmbedderSettings;
    /** TTL by content type ("default" always present). */
    ttlMsByContentType: Record<string, number>;
    /** Conversations longer than this many messages skip the semantic tier. */
    maxMessages: number;
  };
}

export type EmbedderSettings =
  | { type: 'offline' }
  | { type: 'onnx'; modelPath: string; allowRemote: boolean; pooling: 'mean' | 'cls'; normalize: boolean }
  | { type: 'upstream'; route: string };

export type PiiAction = 'off' | 'redact' | 'block';

export interface GuardrailRecord {
  id: string;
  pii: { email: PiiAction; phone: PiiAction; creditCard: PiiAction; nationalId: PiiAction };
  blockedTerms: string[];
  blockedTermsAction: 'block' | 'redact';
  maxInputTokens: number | null;
}

/** The node ids of a key's hierarchy, innermost first. */
export function chainOf(snapshot: Snapshot, key: KeyRecord): BudgetNode[] {
  return key.chain.map((id) => snapshot.nodes[id]).filter((n): n is BudgetNode => n !== undefined);
}
