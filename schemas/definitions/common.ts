/**
 * Shared JSON Schema building blocks for the config kinds. Authored in TypeScript so kinds can
 * share definitions; `schemas/build.ts` writes the combined `schemas/sluice.schema.json` that
 * editors (yaml-language-server) and the loader use.
 */
export type JsonSchema = { [key: string]: unknown };

/**
 * A JSON Schema "if/then" pair. Built from entries because a literal `then` property makes the
 * object look like a promise to linters (and to `await`); JSON Schema needs exactly that name.
 */
export function ifThen(condition: JsonSchema, consequence: JsonSchema): JsonSchema {
  return Object.fromEntries([
    ['if', condition],
    ['then', consequence],
  ]);
}

export const ref = (name: string, description?: string): JsonSchema =>
  description ? { $ref: `#/$defs/${name}`, description } : { $ref: `#/$defs/${name}` };

export const commonDefs: Record<string, JsonSchema> = {
  Name: {
    description: 'Identifier: lowercase letters, digits, ".", "_" and "-"; starts and ends with a letter or digit.',
    type: 'string',
    pattern: '^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$',
  },
  RouteName: {
    description:
      'A model alias clients send in the "model" field, e.g. "gpt-4o" or "chat-default". May contain "/" and ":".',
    type: 'string',
    pattern: '^[A-Za-z0-9](?:[A-Za-z0-9._:/-]{0,126}[A-Za-z0-9])?$',
  },
  RoutePattern: {
    description: 'A route name, or a glob where "*" matches any characters ("*" alone allows every route).',
    type: 'string',
    pattern: '^[A-Za-z0-9*](?:[A-Za-z0-9._:/*-]{0,126})?$',
  },
  Money: {
    description:
      'An amount in US dollars as a quoted decimal string with at most 6 decimals, e.g. "250.00". Quoted so no float rounding ever touches money.',
    type: 'string',
    pattern: '^\\d{1,12}(?:\\.\\d{1,6})?$',
  },
  PricePerMillion: {
    description:
      'A price in US dollars per 1 million tokens as a quoted decimal string with at most 6 decimals, e.g. "2.50".',
    type: 'string',
    pattern: '^\\d{1,9}(?:\\.\\d{1,6})?$',
  },
  Duration: {
    description: 'A duration: an integer followed by a unit, one of ms, s, m, h, d, e.g. "500ms", "30s", "2m".',
    type: 'string',
    pattern: '^\\d{1,9}(?:ms|s|m|h|d)$',
  },
  Timestamp: {
    description:
      'A UTC date ("2025-07-01", meaning midnight UTC) or an RFC 3339 date-time with offset ("2025-07-01T12:00:00Z").',
    type: 'string',
    pattern: '^\\d{4}-\\d{2}-\\d{2}(?:[Tt ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:[Zz]|[+-]\\d{2}:\\d{2}))?$',
  },
  SecretRef: {
    description:
      'A reference to a secret, never the secret itself: "env:NAME" reads an environment variable, "file:/abs/path" reads a file (e.g. a mounted Kubernetes secret).',
    type: 'string',
    pattern: '^(?:env:[A-Za-z_][A-Za-z0-9_]*|file:/\\S+)$',
  },
  KeyHash: {
    description:
      'The SHA-256 of a secret as "sha256:" followed by 64 lowercase hex digits (create with `sluice keys create`). The secret itself never goes into config.',
    type: 'string',
    pattern: '^sha256:[0-9a-f]{64}$',
  },
  Tags: {
    description:
      'String labels used for cost attribution and policy selection, e.g. {cost_center: "cc-1234", env: "production"}.',
    type: 'object',
    propertyNames: { pattern: '^[A-Za-z0-9_.:/-]{1,63}$' },
    additionalProperties: { type: 'string', maxLength: 256 },
  },
  Budget: {
    description:
      'A spending cap in US dollars per period. Requests that would exceed it are rejected before any provider call.',
    type: 'object',
    additionalProperties: false,
    required: ['amount', 'period'],
    properties: {
      amount: ref('Money', 'Maximum spend per period in USD, as a quoted decimal string, e.g. "500.00".'),
      period: {
        description: 'When the budget resets: "daily", "weekly" (Monday 00:00) or "monthly" (the 1st, 00:00).',
        enum: ['daily', 'weekly', 'monthly'],
      },
      timezone: {
        description: 'IANA timezone in which the period boundary falls, e.g. "Europe/Berlin". Default "UTC".',
        type: 'string',
        minLength: 1,
      },
    },
  },
  Limits: {
    description: 'Rate limits. Each is optional; an absent limit means unlimited at this level.',
    type: 'object',
    additionalProperties: false,
    properties: {
      rpm: { description: 'Requests per minute.', type: 'integer', minimum: 1 },
      tpm: { description: 'Tokens (input + output) per minute.', type: 'integer', minimum: 1 },
      tpd: { description: 'Tokens (input + output) per day.', type: 'integer', minimum: 1 },
      max_concurrent: { description: 'Requests in flight at the same time.', type: 'integer', minimum: 1 },
    },
  },
  Timeouts: {
    description: 'Upstream timeouts.',
    type: 'object',
    additionalProperties: false,
    properties: {
      connect: ref('Duration', 'Time to establish the upstream connection. Default "5s".'),
      first_token: ref('Duration', 'Time until the first response byte/token arrives. Default "30s".'),
      total: ref('Duration', 'Time for the whole upstream call including streaming. Default "120s".'),
    },
  },
  CachePolicyRef: {
    description: 'Name of a CachePolicy, or "none" to switch caching off at this level.',
    type: 'string',
    pattern: '^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$',
  },
};

/** Properties every document has. */
export function documentBase(kind: string, description: string): JsonSchema {
  return {
    apiVersion: { description: 'Config API version. Always "sluice/v1".', const: 'sluice/v1' },
    kind: { description, const: kind },
    name: ref('Name', `Unique name of this ${kind} (unique among all ${kind} documents).`),
    description: { description: 'Free text for humans; ignored by the gateway.', type: 'string' },
  };
}

/** Fields shared by Organization, Team and Key (the budget hierarchy). */
export function hierarchyProperties(level: string): JsonSchema {
  return {
    budget: ref('Budget', `Spending cap for this ${level} (and everything below it).`),
    limits: ref('Limits', `Rate limits for this ${level} (shared by everything below it).`),
    allowed_routes: {
      description: `Routes this ${level} may call (names or globs). Default ["*"] (all). A key's effective list is the intersection over key, team and org.`,
      type: 'array',
      items: ref('RoutePattern'),
      uniqueItems: true,
    },
    cache_policy: ref(
      'CachePolicyRef',
      `Cache policy for requests of this ${level}; a key's overrides its team's, which overrides the org's.`,
    ),
    guardrails: {
      description: `Guardrail Policy names applied to requests of this ${level}. Applied in order org, team, key.`,
      type: 'array',
      items: ref('Name'),
      uniqueItems: true,
    },
    tags: ref('Tags', `Attribution tags; merged org < team < key onto every request's usage record.`),
  };
}
