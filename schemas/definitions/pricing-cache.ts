import { documentBase, ifThen, type JsonSchema, ref } from './common.js';

const PriceEntry: JsonSchema = {
  description: "One dated price. It applies from effective_from until the next entry's effective_from.",
  type: 'object',
  additionalProperties: false,
  required: ['effective_from', 'input', 'output'],
  properties: {
    effective_from: ref('Timestamp', 'When this price starts to apply (inclusive).'),
    input: ref('PricePerMillion', 'USD per 1M input (prompt) tokens.'),
    output: ref('PricePerMillion', 'USD per 1M output (completion) tokens.'),
    cached_input: ref(
      'PricePerMillion',
      "USD per 1M input tokens read from the provider's prompt cache. Default: the input price.",
    ),
    cache_write: ref(
      'PricePerMillion',
      "USD per 1M input tokens written to the provider's prompt cache. Default: the input price.",
    ),
  },
};

export const Pricing: JsonSchema = {
  description: 'Dated per-model prices of one provider.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name', 'provider', 'models'],
  properties: {
    ...documentBase('Pricing', 'Pricing: dated prices per upstream model of one provider.'),
    provider: ref('Name', 'Name of the Provider these prices belong to.'),
    models: {
      description: 'Upstream model name → list of dated prices (each model may appear in only one Pricing document).',
      type: 'object',
      minProperties: 1,
      additionalProperties: { type: 'array', minItems: 1, items: PriceEntry },
    },
  },
};

const Embedder: JsonSchema = {
  description: 'How prompts are embedded for the semantic cache.',
  type: 'object',
  required: ['type'],
  properties: {
    type: {
      description:
        '"offline" (built-in word vectors, no download), "onnx" (local ONNX sentence model) or "upstream" (an embeddings route).',
      enum: ['offline', 'onnx', 'upstream'],
    },
    model_path: { description: 'onnx: folder of the local model.', type: 'string', minLength: 1 },
    allow_remote: { description: 'onnx: allow downloading the model. Default false.', type: 'boolean' },
    pooling: { description: 'onnx: token pooling, "mean" (default) or "cls".', enum: ['mean', 'cls'] },
    normalize: { description: 'onnx: L2-normalize vectors. Default true.', type: 'boolean' },
    route: ref('RouteName', 'upstream: name of an embeddings Route.'),
  },
  allOf: [
    ifThen({ properties: { type: { const: 'offline' } } }, { properties: { type: true }, additionalProperties: false }),
    ifThen(
      { properties: { type: { const: 'onnx' } } },
      {
        required: ['model_path'],
        properties: { type: true, model_path: true, allow_remote: true, pooling: true, normalize: true },
        additionalProperties: false,
      },
    ),
    ifThen(
      { properties: { type: { const: 'upstream' } } },
      { required: ['route'], properties: { type: true, route: true }, additionalProperties: false },
    ),
  ],
};

export const CachePolicy: JsonSchema = {
  description: 'Exact and semantic response caching.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name'],
  properties: {
    ...documentBase('CachePolicy', 'CachePolicy: exact and semantic response caching.'),
    name: {
      description: 'Unique name of this CachePolicy ("none" is reserved).',
      type: 'string',
      pattern: '^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$',
      not: { const: 'none' },
    },
    scope: {
      description:
        'Who shares cache entries: "team" (default), "org", "key", or "shared" (every key using this policy, in namespace `namespace`).',
      enum: ['team', 'org', 'key', 'shared'],
    },
    namespace: ref('Name', 'Namespace name; required when scope is "shared".'),
    exact: {
      description: 'Exact-match cache (same normalized request → same response).',
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { description: 'Default true.', type: 'boolean' },
        ttl: ref('Duration', 'How long entries live. Default "1h".'),
      },
    },
    semantic: {
      description: 'Semantic cache: serves a stored answer to a sufficiently similar prompt.',
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { description: 'Default false.', type: 'boolean' },
        threshold: {
          description: 'Minimum cosine similarity (0..1) for a hit. Higher = fewer, safer hits. Default 0.95.',
          type: 'number',
          minimum: 0.5,
          maximum: 1,
        },
        embedder: Embedder,
        ttl: {
          description: 'TTL per content type; "default" applies to the rest, e.g. {default: "1h", code: "10m"}.',
          type: 'object',
          propertyNames: { pattern: '^[a-z0-9_-]+$' },
          additionalProperties: ref('Duration'),
        },
        max_messages: {
          description: 'Conversations with more messages than this skip the semantic tier. Default 3.',
          type: 'integer',
          minimum: 1,
        },
      },
    },
  },
  allOf: [ifThen({ properties: { scope: { const: 'shared' } }, required: ['scope'] }, { required: ['namespace'] })],
};
