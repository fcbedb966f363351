/**
 * Typed view of config documents as written in YAML (snake_case), after schema validation.
 * Only the loader creates these; checks, governance rules and the compiler read them.
 */
export type BudgetPeriod = 'daily' | 'weekly' | 'monthly';

export interface BudgetDoc {
  amount: string;
  period: BudgetPeriod;
  timezone?: string;
}

export interface LimitsDoc {
  rpm?: number;
  tpm?: number;
  tpd?: number;
  max_concurrent?: number;
}

export interface TimeoutsDoc {
  connect?: string;
  first_token?: string;
  total?: string;
}

interface DocBase {
  apiVersion: 'sluice/v1';
  name: string;
  description?: string;
}

interface HierarchyFields {
  budget?: BudgetDoc;
  limits?: LimitsDoc;
  allowed_routes?: string[];
  cache_policy?: string;
  guardrails?: string[];
  tags?: Record<string, string>;
}

export interface OrganizationDoc extends DocBase, HierarchyFields {
  kind: 'Organization';
  overcommit?: boolean;
}

export interface TeamDoc extends DocBase, HierarchyFields {
  kind: 'Team';
  org: string;
  overcommit?: boolean;
}

export interface KeyDoc extends DocBase, HierarchyFields {
  kind: 'Key';
  team: string;
  hash: string;
  status?: 'active' | 'disabled' | 'revoked';
  expires_at?: string;
  priority?: number;
  metadata?: Record<string, string>;
}

export interface ProviderDoc extends DocBase {
  kind: 'Provider';
  type: 'openai' | 'anthropic' | 'gemini' | 'openai-compatible' | 'simulated';
  base_url?: string;
  api_key?: string;
  headers?: Record<string, string>;
  timeouts?: TimeoutsDoc;
  limits?: { tpm?: number; rpm?: number };
  max_connections?: number;
  simulated?: { latency?: string; inter_chunk?: string; output_tokens?: number; error_rate?: number; seed?: number };
}

export type RetryOnDoc = 'rate_limit' | 'server_error' | 'timeout' | 'connection';

export interface RouteDoc extends DocBase {
  kind: 'Route';
  type?: 'chat' | 'embeddings';
  targets: { provider: string; model: string; weight?: number; context_window?: number }[];
  fallback?: string[];
  retry?: { attempts?: number; base_delay?: string; max_delay?: string; on?: RetryOnDoc[] };
  timeouts?: TimeoutsDoc;
  circuit_breaker?: { failure_threshold?: number; cooldown?: string; half_open_probes?: number };
  context_window_fallback?: string;
  on_exhausted?: 'queue' | 'reject';
  default_max_output_tokens?: number;
  limiter_failure_mode?: 'open' | 'closed';
  tags?: Record<string, string>;
}

export interface PriceEntryDoc {
  effective_from: string;
  input: string;
  output: string;
  cached_input?: string;
  cache_write?: string;
}

export interface PricingDoc extends DocBase {
  kind: 'Pricing';
  provider: string;
  models: Record<string, PriceEntryDoc[]>;
}

export type EmbedderDoc =
  | { type: 'offline' }
  | { type: 'onnx'; model_path: string; allow_remote?: boolean; pooling?: 'mean' | 'cls'; normalize?: boolean }
  | { type: 'upstream'; route: string };

export interface CachePolicyDoc extends DocBase {
  kind: 'CachePolicy';
  scope?: 'team' | 'org' | 'key' | 'shared';
  namespace?: string;
  exact?: { enabled?: boolean; ttl?: string };
  semantic?: {
    enabled?: boolean;
    threshold?: number;
    embedder?: EmbedderDoc;
    ttl?: Record<string, string>;
    max_messages?: number;
  };
}

export type PiiActionDoc = 'off' | 'redact' | 'block';

export interface GovernanceRuleDoc {
  rule: string;
  severity?: 'error' | 'warning' | 'off';
  params?: Record<string, unknown>;
}

export interface GuardrailDoc {
  pii?: { email?: PiiActionDoc; phone?: PiiActionDoc; credit_card?: PiiActionDoc; national_id?: PiiActionDoc };
  blocked_terms?: string[];
  blocked_terms_action?: 'block' | 'redact';
  max_input_tokens?: number;
}

export interface PolicyDoc extends DocBase {
  kind: 'Policy';
  rules?: GovernanceRuleDoc[];
  guardrail?: GuardrailDoc;
}

export interface GatewayDoc extends DocBase {
  kind: 'Gateway';
  reservation_buffer_percent?: number;
  default_max_output_tokens?: number;
  max_body_bytes?: number;
  reservation_lease?: string;
  queue?: { max_size?: number; max_wait?: string; result_ttl?: string; aging_per_priority?: string };
  admin_key_hashes?: string[];
  alerts?: { thresholds_percent?: number[]; webhook?: string };
  limiter_failure_mode?: 'open' | 'closed';
}

export type ConfigDoc =
  | OrganizationDoc
  | TeamDoc
  | KeyDoc
  | ProviderDoc
  | RouteDoc
  | PricingDoc
  | CachePolicyDoc
  | PolicyDoc
  | GatewayDoc;

export type Kind = ConfigDoc['kind'];

/** Where a document came from; `locate` maps a field path to a 1-based line/column. */
export interface DocSource {
  /** Path relative to the config directory, with "/" separators. */
  file: string;
  /** 0-based index of the document inside its file. */
  index: number;
  locate(path: readonly (string | number)[]): { line: number; column: number };
}

export interface Loaded<D extends ConfigDoc = ConfigDoc> {
  doc: D;
  source: DocSource;
}

/** All valid documents of a config directory, grouped by kind, in file order. */
export interface ConfigSet {
  organizations: Loaded<OrganizationDoc>[];
  teams: Loaded<TeamDoc>[];
  keys: Loaded<KeyDoc>[];
  providers: Loaded<ProviderDoc>[];
  routes: Loaded<RouteDoc>[];
  pricing: Loaded<PricingDoc>[];
  cachePolicies: Loaded<CachePolicyDoc>[];
  policies: Loaded<PolicyDoc>[];
  gateways: Loaded<GatewayDoc>[];
  /** Number of YAML files read. */
  files: number;
}
