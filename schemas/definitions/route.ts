import { documentBase, type JsonSchema, ref } from './common.js';

export const Route: JsonSchema = {
  description: 'A model alias clients call, mapped to weighted provider targets with retries and fallbacks.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name', 'targets'],
  properties: {
    apiVersion: { description: 'Config API version. Always "sluice/v1".', const: 'sluice/v1' },
    kind: { description: 'Route: a model alias clients send as "model".', const: 'Route' },
    name: ref('RouteName', 'The model alias clients send, e.g. "gpt-4o" or "chat-default". Unique among routes.'),
    description: documentBase('Route', '').description,
    type: {
      description: 'Endpoint family: "chat" (chat completions, default) or "embeddings".',
      enum: ['chat', 'embeddings'],
    },
    targets: {
      description: 'Upstream deployments, picked at random in proportion to their weights.',
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['provider', 'model'],
        properties: {
          provider: ref('Name', 'Name of a Provider.'),
          model: {
            description: 'Upstream model name sent to the provider, e.g. "gpt-4o-2024-08-06".',
            type: 'string',
            minLength: 1,
          },
          weight: {
            description: 'Relative share of traffic. Default 1; 0 = only used when others fail.',
            type: 'integer',
            minimum: 0,
            maximum: 10000,
          },
          context_window: {
            description: 'Context window of the upstream model in tokens.',
            type: 'integer',
            minimum: 1,
          },
        },
      },
    },
    fallback: {
      description: 'Route names tried in order after every target of this route failed.',
      type: 'array',
      items: ref('RouteName'),
      uniqueItems: true,
    },
    retry: {
      description:
        "Retries against this route's targets before falling back, with exponential backoff and full jitter.",
      type: 'object',
      additionalProperties: false,
      properties: {
        attempts: {
          description: 'Total attempts including the first (1 = no retry). Default 2.',
          type: 'integer',
          minimum: 1,
          maximum: 10,
        },
        base_delay: ref('Duration', 'Backoff before the 2nd attempt; doubles each time. Default "200ms".'),
        max_delay: ref('Duration', 'Backoff ceiling. Default "5s".'),
        on: {
          description:
            'Which failures are retried: rate_limit (429), server_error (5xx), timeout, connection. Default all four.',
          type: 'array',
          uniqueItems: true,
          items: { enum: ['rate_limit', 'server_error', 'timeout', 'connection'] },
        },
      },
    },
    timeouts: ref('Timeouts', 'Timeouts for this route (override the provider defaults).'),
    circuit_breaker: {
      description: 'Per-target circuit breaker: after N consecutive failures the target is skipped for the cooldown.',
      type: 'object',
      additionalProperties: false,
      properties: {
        failure_threshold: {
          description: 'Consecutive failures that open the circuit. Default 5.',
          type: 'integer',
          minimum: 1,
        },
        cooldown: ref('Duration', 'How long an open circuit skips the target. Default "30s".'),
        half_open_probes: {
          description: 'Trial requests let through after the cooldown. Default 1.',
          type: 'integer',
          minimum: 1,
        },
      },
    },
    context_window_fallback: ref(
      'RouteName',
      'Route used when the provider says the prompt does not fit the context window.',
    ),
    on_exhausted: {
      description:
        'When every target is rate-limited: "queue" (wait, or 202 + poll) or "reject" (429). Default "reject".',
      enum: ['queue', 'reject'],
    },
    default_max_output_tokens: {
      description:
        'Output tokens assumed for budget reservations when a request sets no max_tokens. Default: the Gateway setting.',
      type: 'integer',
      minimum: 1,
    },
    limiter_failure_mode: {
      description:
        'When the limiter backend is down: "open" (serve) or "closed" (refuse). Default: the Gateway setting.',
      enum: ['open', 'closed'],
    },
    tags: ref('Tags', 'Route labels, e.g. {environment: production} (used by governance rules).'),
  },
};
