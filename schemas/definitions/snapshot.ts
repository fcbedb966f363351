/**
 * JSON Schema of the compiled snapshot (common/snapshot.ts). The control plane validates
 * snapshots pushed with `sluice apply` against it; data planes may do the same.
 */
import type { JsonSchema } from './common.js';

const int = (description: string, minimum = 0): JsonSchema => ({ type: 'integer', minimum, description });
const nullableInt = (description: string): JsonSchema => ({ type: ['integer', 'null'], minimum: 0, description });
const str = (description: string): JsonSchema => ({ type: 'string', description });
const strMap = (description: string): JsonSchema => ({
  type: 'object',
  additionalProperties: { type: 'string' },
  description,
});
const obj = (description: string, properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  description,
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
});
const record = (description: string, item: string): JsonSchema => ({
  type: 'object',
  description,
  additionalProperties: { $ref: `#/$defs/${item}` },
});
const piiAction: JsonSchema = { enum: ['off', 'redact', 'block'] };

const timeouts = obj('Upstream timeouts in ms.', {
  connectMs: int('Connect timeout.'),
  firstTokenMs: int('Time to first token.'),
  totalMs: int('Whole call.'),
});

export const snapshotSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://sluice.dev/schemas/snapshot.schema.json',
  title: 'Sluice compiled snapshot',
  description:
    'The immutable, versioned snapshot the control plane compiles and pushes to data planes. Money in integer micro-dollars, prices in integer pico-dollars per token, times in epoch ms.',
  type: 'object',
  additionalProperties: false,
  required: [
    'schemaVersion',
    'version',
    'gateway',
    'nodes',
    'keys',
    'providers',
    'routes',
    'pricing',
    'cachePolicies',
    'guardrails',
  ],
  properties: {
    schemaVersion: { const: 1, description: 'Snapshot format version.' },
    version: {
      type: 'string',
      pattern: '^v-[0-9a-f]{16}$',
      description: 'Content hash: "v-" + 16 hex of SHA-256 of the canonical JSON without version/source.',
    },
    source: {
      type: 'object',
      additionalProperties: false,
      description: 'Provenance, excluded from the hash.',
      properties: { revision: str('Git revision.'), files: int('Config files read.') },
    },
    gateway: obj('Global settings.', {
      reservationBufferPercent: int('Extra reservation share in percent.'),
      defaultMaxOutputTokens: int('Assumed output tokens.', 1),
      maxBodyBytes: int('Max request body.', 1),
      reservationLeaseMs: int('Reservation lease.', 1),
      queue: obj('Queue settings.', {
        maxSize: int('Max queued requests.'),
        maxWaitMs: int('Max wait.'),
        resultTtlMs: int('Result retention.'),
        agingMsPerPriority: int('Aging per priority level.'),
      }),
      adminKeyHashes: {
        type: 'array',
        items: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        description: 'SHA-256 hex of admin tokens.',
      },
      alertThresholdsPercent: {
        type: 'array',
        items: { type: 'integer', minimum: 1 },
        description: 'Budget alert thresholds.',
      },
      alertWebhook: {
        type: ['string', 'null'],
        pattern: '^(env:|file:/)',
        description: 'Secret reference of the alert webhook URL.',
      },
      limiterFailureMode: { enum: ['open', 'closed'], description: 'Limiter outage behaviour.' },
    }),
    nodes: record('Budget nodes by id ("org:x", "team:x", "key:x").', 'BudgetNode'),
    keys: record('Keys by lowercase hex SHA-256 of the secret.', 'KeyRecord'),
    providers: record('Providers by id.', 'ProviderRecord'),
    routes: record('Routes by model alias.', 'RouteRecord'),
    pricing: {
      type: 'object',
      description: 'Dated prices by "<provider>/<model>", ascending.',
      additionalProperties: { type: 'array', items: { $ref: '#/$defs/PriceEntry' } },
    },
    cachePolicies: record('Cache policies by id.', 'CachePolicyRecord'),
    guardrails: record('Guardrails by id.', 'GuardrailRecord'),
  },
  $defs: {
    BudgetNode: obj('A node of the budget hierarchy.', {
      id: str('Node id.'),
      kind: { enum: ['org', 'team', 'key'] },
      name: str('Config name.'),
      parent: { type: ['string', 'null'], description: 'Parent node id.' },
      budget: {
        oneOf: [
          { type: 'null' },
          obj('Budget.', {
            amountMicros: int('Amount in micro-dollars.'),
            period: { enum: ['daily', 'weekly', 'monthly'] },
            timezone: str('IANA timezone.'),
          }),
        ],
      },
      limits: obj('Rate limits (null = none).', {
        rpm: nullableInt('Requests per minute.'),
        tpm: nullableInt('Tokens per minute.'),
        tpd: nullableInt('Tokens per day.'),
        maxConcurrent: nullableInt('Concurrent requests.'),
      }),
      tags: strMap('Own tags.'),
    }),
    KeyRecord: obj('A virtual key with everything resolved.', {
      name: str('Key name.'),
      hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 hex of the secret.' },
      chain: { type: 'array', items: { type: 'string' }, description: 'Node ids, innermost first.' },
      team: str('Team name.'),
      org: str('Org name.'),
      status: { enum: ['active', 'disabled', 'revoked'] },
      expiresAt: nullableInt('Expiry in epoch ms.'),
      priority: { type: 'integer', description: 'Queue priority.' },
      allowedRoutes: { type: 'array', items: { type: 'string' }, description: 'Effective allow-list; ["*"] = all.' },
      cachePolicy: { type: ['string', 'null'], description: 'Resolved cache policy id.' },
      guardrails: { type: 'array', items: { type: 'string' }, description: 'Resolved guardrail ids in order.' },
      tags: strMap('Merged tags.'),
      metadata: strMap('Key metadata.'),
    }),
    ProviderRecord: obj('An upstream provider.', {
      id: str('Provider id.'),
      type: { enum: ['openai', 'anthropic', 'gemini', 'openai-compatible', 'simulated'] },
      baseUrl: str('Base URL.'),
      credential: { type: ['string', 'null'], pattern: '^(env:|file:/)', description: 'Secret reference.' },
      headers: strMap('Extra headers.'),
      timeouts,
      limits: obj('Account limits.', { tpm: nullableInt('TPM.'), rpm: nullableInt('RPM.') }),
      maxConnections: int('Connection pool size.', 1),
      simulated: {
        oneOf: [
          { type: 'null' },
          obj('Simulated behaviour.', {
            latencyMs: int('Delay to first token.'),
            interChunkMs: int('Delay between chunks.'),
            outputTokens: int('Completion tokens.'),
            errorRate: { type: 'number', minimum: 0, maximum: 1 },
            seed: int('Seed.'),
          }),
        ],
      },
    }),
    RouteRecord: obj('A route (model alias).', {
      name: str('Alias.'),
      kind: { enum: ['chat', 'embeddings'] },
      targets: {
        type: 'array',
        minItems: 1,
        items: obj('Weighted target.', {
          provider: str('Provider id.'),
          model: str('Upstream model.'),
          weight: int('Weight.'),
          contextWindow: nullableInt('Context window.'),
        }),
      },
      fallback: { type: 'array', items: { type: 'string' } },
      retry: obj('Retry policy.', {
        attempts: int('Attempts.', 1),
        baseDelayMs: int('Base backoff.'),
        maxDelayMs: int('Max backoff.'),
        on: { type: 'array', items: { enum: ['rate_limit', 'server_error', 'timeout', 'connection'] } },
      }),
      timeouts,
      circuitBreaker: obj('Circuit breaker.', {
        failureThreshold: int('Failures to open.', 1),
        cooldownMs: int('Cooldown.'),
        halfOpenProbes: int('Probes.', 1),
      }),
      contextWindowFallback: { type: ['string', 'null'] },
      onExhausted: { enum: ['queue', 'reject'] },
      defaultMaxOutputTokens: int('Assumed output tokens.', 1),
      limiterFailureMode: { enum: ['open', 'closed', null] },
      tags: strMap('Route tags.'),
    }),
    PriceEntry: obj('A dated price.', {
      effectiveFrom: int('Epoch ms, inclusive.'),
      inputPico: int('Input pico-dollars per token.'),
      outputPico: int('Output pico-dollars per token.'),
      cachedInputPico: int('Cached input pico-dollars per token.'),
      cacheWritePico: int('Cache write pico-dollars per token.'),
    }),
    CachePolicyRecord: obj('A cache policy.', {
      id: str('Policy id.'),
      scope: { oneOf: [{ enum: ['team', 'org', 'key'] }, obj('Shared namespace.', { shared: str('Namespace.') })] },
      exact: obj('Exact tier.', { enabled: { type: 'boolean' }, ttlMs: int('TTL.') }),
      semantic: obj('Semantic tier.', {
        enabled: { type: 'boolean' },
        threshold: { type: 'number', minimum: 0, maximum: 1 },
        embedder: {
          type: 'object',
          required: ['type'],
          properties: { type: { enum: ['offline', 'onnx', 'upstream'] } },
        },
        ttlMsByContentType: {
          type: 'object',
          required: ['default'],
          additionalProperties: { type: 'integer', minimum: 0 },
        },
        maxMessages: int('Max messages.', 1),
      }),
    }),
    GuardrailRecord: obj('A runtime guardrail.', {
      id: str('Guardrail id.'),
      pii: obj('PII actions.', { email: piiAction, phone: piiAction, creditCard: piiAction, nationalId: piiAction }),
      blockedTerms: { type: 'array', items: { type: 'string' } },
      blockedTermsAction: { enum: ['block', 'redact'] },
      maxInputTokens: nullableInt('Max input tokens.'),
    }),
  },
};
