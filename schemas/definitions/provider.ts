import { documentBase, ifThen, type JsonSchema, ref } from './common.js';

export const Provider: JsonSchema = {
  description: 'An upstream LLM provider account.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name', 'type'],
  properties: {
    ...documentBase('Provider', 'Provider: an upstream LLM API account.'),
    type: {
      description:
        'Wire protocol: "openai", "anthropic", "gemini", "openai-compatible" (vLLM, Ollama, llama.cpp, …) or "simulated" (built-in fake for demos and load tests).',
      enum: ['openai', 'anthropic', 'gemini', 'openai-compatible', 'simulated'],
    },
    base_url: {
      description:
        'API base URL. Defaults: openai https://api.openai.com/v1, anthropic https://api.anthropic.com, gemini https://generativelanguage.googleapis.com. Required for openai-compatible.',
      type: 'string',
      pattern: '^https?://[^\\s]+$',
    },
    api_key: ref(
      'SecretRef',
      'Credential reference: "env:OPENAI_API_KEY" or "file:/run/secrets/openai". Never a literal key.',
    ),
    headers: {
      description:
        'Extra request headers sent upstream. Values of credential-bearing headers (Authorization, *api-key*, *token*, *secret*) must be references.',
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    timeouts: ref('Timeouts', 'Default timeouts for calls to this provider.'),
    limits: {
      description: 'Account-level limits of this provider account, shared by every route that uses it.',
      type: 'object',
      additionalProperties: false,
      properties: {
        tpm: { description: 'Tokens per minute the account allows.', type: 'integer', minimum: 1 },
        rpm: { description: 'Requests per minute the account allows.', type: 'integer', minimum: 1 },
      },
    },
    max_connections: {
      description: 'Maximum concurrent upstream connections in the keep-alive pool. Default 64.',
      type: 'integer',
      minimum: 1,
      maximum: 10000,
    },
    simulated: {
      description: 'Behaviour of a "simulated" provider (only allowed with type: simulated).',
      type: 'object',
      additionalProperties: false,
      properties: {
        latency: ref('Duration', 'Delay before the first token. Default "50ms".'),
        inter_chunk: ref('Duration', 'Delay between streamed chunks. Default "10ms".'),
        output_tokens: {
          description: 'Completion tokens produced when max_tokens allows. Default 64.',
          type: 'integer',
          minimum: 0,
        },
        error_rate: {
          description:
            'Share of requests (0..1) answered with a 500, chosen deterministically from the request. Default 0.',
          type: 'number',
          minimum: 0,
          maximum: 1,
        },
        seed: { description: 'Seed for the deterministic choices. Default 0.', type: 'integer', minimum: 0 },
      },
    },
  },
  allOf: [
    ifThen({ properties: { type: { const: 'openai-compatible' } }, required: ['type'] }, { required: ['base_url'] }),
  ],
};
