/**
 * Builds valid compiled snapshots by hand for data-plane tests, without the control plane.
 * Defaults: org "acme" → team "search" → key "search-dev" (secret TEST_KEY), one provider
 * "fake" of type openai at `baseUrl`, one chat route "gpt-test" → fake/gpt-4o-mini.
 */
import { createHash } from 'node:crypto';
import {
  type BudgetNode,
  type GatewaySettings,
  type KeyRecord,
  type PriceEntry,
  type ProviderRecord,
  type RouteRecord,
  SNAPSHOT_SCHEMA_VERSION,
  type Snapshot,
} from '../../common/snapshot.js';

export const TEST_KEY = 'sk-sluice-test-0123456789abcdef';
export const TEST_ADMIN_TOKEN = 'sk-sluice-admin-test-token';

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function gatewaySettings(over: Partial<GatewaySettings> = {}): GatewaySettings {
  return {
    reservationBufferPercent: 10,
    defaultMaxOutputTokens: 1024,
    maxBodyBytes: 1_048_576,
    reservationLeaseMs: 120_000,
    queue: { maxSize: 100, maxWaitMs: 30_000, resultTtlMs: 60_000, agingMsPerPriority: 1_000 },
    adminKeyHashes: [sha256(TEST_ADMIN_TOKEN)],
    alertThresholdsPercent: [50, 80, 100],
    alertWebhook: null,
    limiterFailureMode: 'closed',
    ...over,
  };
}

export function node(id: string, over: Partial<BudgetNode> = {}): BudgetNode {
  const [kind, name] = id.split(':') as [BudgetNode['kind'], string];
  return {
    id,
    kind,
    name,
    parent: null,
    budget: null,
    limits: { rpm: null, tpm: null, tpd: null, maxConcurrent: null },
    tags: {},
    ...over,
  };
}

export function keyRecord(secret: string, over: Partial<KeyRecord> = {}): KeyRecord {
  const name = over.name ?? 'search-dev';
  const team = over.team ?? 'search';
  const org = over.org ?? 'acme';
  return {
    name,
    hash: sha256(secret),
    chain: [`key:${name}`, `team:${team}`, `org:${org}`],
    team,
    org,
    status: 'active',
    expiresAt: null,
    priority: 0,
    allowedRoutes: ['*'],
    cachePolicy: null,
    guardrails: [],
    tags: {},
    metadata: {},
    ...over,
  };
}

export function provider(id: string, baseUrl: string, over: Partial<ProviderRecord> = {}): ProviderRecord {
  return {
    id,
    type: 'openai',
    baseUrl,
    credential: null,
    headers: {},
    timeouts: { connectMs: 2_000, firstTokenMs: 10_000, totalMs: 30_000 },
    limits: { tpm: null, rpm: null },
    maxConnections: 64,
    simulated: null,
    ...over,
  };
}

export function route(name: string, over: Partial<RouteRecord> = {}): RouteRecord {
  return {
    name,
    kind: 'chat',
    targets: [{ provider: 'fake', model: 'gpt-4o-mini', weight: 1, contextWindow: 128_000 }],
    fallback: [],
    retry: {
      attempts: 1,
      baseDelayMs: 10,
      maxDelayMs: 100,
      on: ['rate_limit', 'server_error', 'timeout', 'connection'],
    },
    timeouts: { connectMs: 2_000, firstTokenMs: 10_000, totalMs: 30_000 },
    circuitBreaker: { failureThreshold: 5, cooldownMs: 10_000, halfOpenProbes: 1 },
    contextWindowFallback: null,
    onExhausted: 'reject',
    defaultMaxOutputTokens: 1024,
    limiterFailureMode: null,
    tags: {},
    ...over,
  };
}

/** $0.15 / $0.60 per 1M tokens, cached input $0.075, cache write $0.1875 — from 2024-01-01. */
export const DEFAULT_PRICE: PriceEntry = {
  effectiveFrom: Date.UTC(2024, 0, 1),
  inputPico: 150_000,
  outputPico: 600_000,
  cachedInputPico: 75_000,
  cacheWritePico: 187_500,
};

export interface SnapshotOptions {
  /** Base URL of the fake OpenAI-format provider "fake". */
  baseUrl?: string;
  version?: string;
  gateway?: Partial<GatewaySettings>;
  nodes?: BudgetNode[];
  keys?: KeyRecord[];
  providers?: ProviderRecord[];
  routes?: RouteRecord[];
  pricing?: Snapshot['pricing'];
  cachePolicies?: Snapshot['cachePolicies'];
  guardrails?: Snapshot['guardrails'];
}

export function makeSnapshot(opts: SnapshotOptions = {}): Snapshot {
  const baseUrl = opts.baseUrl ?? 'http://127.0.0.1:9';
  const nodes = opts.nodes ?? [
    node('org:acme'),
    node('team:search', { parent: 'org:acme' }),
    node('key:search-dev', { parent: 'team:search' }),
  ];
  const keys = opts.keys ?? [keyRecord(TEST_KEY)];
  const providers = opts.providers ?? [provider('fake', baseUrl)];
  const routes = opts.routes ?? [route('gpt-test')];
  const pricing = opts.pricing ?? {
    'fake/gpt-4o-mini': [DEFAULT_PRICE],
  };
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    version: opts.version ?? `v-test-${Math.random().toString(16).slice(2, 10)}`,
    gateway: gatewaySettings(opts.gateway),
    nodes: Object.fromEntries(nodes.map((n) => [n.id, n])),
    keys: Object.fromEntries(keys.map((k) => [k.hash, k])),
    providers: Object.fromEntries(providers.map((p) => [p.id, p])),
    routes: Object.fromEntries(routes.map((r) => [r.name, r])),
    pricing,
    cachePolicies: opts.cachePolicies ?? {},
    guardrails: opts.guardrails ?? {},
  };
}
