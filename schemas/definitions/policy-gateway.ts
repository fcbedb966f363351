import { documentBase, type JsonSchema, ref } from './common.js';

const PiiAction: JsonSchema = {
  description: '"off", "redact" (replace with a placeholder before the provider sees it) or "block" (reject with 400).',
  enum: ['off', 'redact', 'block'],
};

export const Policy: JsonSchema = {
  description:
    'Governance rules checked at compile time over the whole config (`rules`), and/or a runtime guardrail (`guardrail`) that keys, teams and orgs reference by name.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name'],
  anyOf: [{ required: ['rules'] }, { required: ['guardrail'] }],
  properties: {
    ...documentBase('Policy', 'Policy: governance rules and/or a runtime guardrail.'),
    rules: {
      description:
        'Governance rules from the built-in library (see docs/config-reference.md), enabled and parameterized.',
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['rule'],
        properties: {
          rule: { description: 'Built-in rule id, e.g. "key-max-lifetime".', type: 'string', minLength: 1 },
          severity: {
            description:
              'Outcome of a violation: "error" (fails validation), "warning" or "off". Default: the rule\'s own.',
            enum: ['error', 'warning', 'off'],
          },
          params: { description: "Rule parameters (see the rule's documentation).", type: 'object' },
        },
      },
    },
    guardrail: {
      description: 'Runtime checks applied to requests of keys/teams/orgs that list this policy in `guardrails`.',
      type: 'object',
      additionalProperties: false,
      properties: {
        pii: {
          description: 'PII detection per category. Absent categories are "off".',
          type: 'object',
          additionalProperties: false,
          properties: {
            email: PiiAction,
            phone: PiiAction,
            credit_card: {
              ...PiiAction,
              description: 'Card numbers (validated with the Luhn checksum). ' + PiiAction.description,
            },
            national_id: { ...PiiAction, description: 'National IDs (e.g. US SSN). ' + PiiAction.description },
          },
        },
        blocked_terms: {
          description: 'Case-insensitive terms that must not appear in prompts.',
          type: 'array',
          items: { type: 'string', minLength: 1 },
          uniqueItems: true,
        },
        blocked_terms_action: {
          description: 'What a blocked term does: "block" (default) or "redact".',
          enum: ['block', 'redact'],
        },
        max_input_tokens: {
          description: 'Prompts longer than this many tokens are rejected.',
          type: 'integer',
          minimum: 1,
        },
      },
    },
  },
};

export const Gateway: JsonSchema = {
  description: 'Global gateway settings (at most one Gateway document).',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name'],
  properties: {
    ...documentBase('Gateway', 'Gateway: global settings.'),
    reservation_buffer_percent: {
      description: 'Extra share of estimated tokens/dollars reserved before an upstream call (10 = 10%). Default 10.',
      type: 'integer',
      minimum: 0,
      maximum: 1000,
    },
    default_max_output_tokens: {
      description: 'Output tokens assumed when neither request nor route sets a maximum. Default 1024.',
      type: 'integer',
      minimum: 1,
    },
    max_body_bytes: {
      description: 'Larger request bodies get 413. Default 1048576 (1 MiB).',
      type: 'integer',
      minimum: 1024,
    },
    reservation_lease: ref(
      'Duration',
      'A reservation not reconciled within this time expires by itself. Default "2m".',
    ),
    queue: {
      description: 'The request queue used by routes with on_exhausted: queue.',
      type: 'object',
      additionalProperties: false,
      properties: {
        max_size: { description: 'Maximum queued requests. Default 1000.', type: 'integer', minimum: 0 },
        max_wait: ref('Duration', 'Longest a request waits before 429. Default "30s".'),
        result_ttl: ref('Duration', 'How long a 202-polled result is kept. Default "5m".'),
        aging_per_priority: ref('Duration', 'Waiting this long raises a request by one priority level. Default "1s".'),
      },
    },
    admin_key_hashes: {
      description: 'Hashes ("sha256:<hex>") of admin tokens for the usage API, cache purge and snapshot apply.',
      type: 'array',
      items: ref('KeyHash'),
      uniqueItems: true,
    },
    alerts: {
      description: 'Budget alerts.',
      type: 'object',
      additionalProperties: false,
      properties: {
        thresholds_percent: {
          description: 'Percent of a budget at which an alert fires. Default [50, 80, 100].',
          type: 'array',
          items: { type: 'integer', minimum: 1, maximum: 1000 },
          uniqueItems: true,
        },
        webhook: ref(
          'SecretRef',
          'Reference to the webhook URL (it often embeds a token): "env:NAME" or "file:/path".',
        ),
      },
    },
    limiter_failure_mode: {
      description:
        'When the limiter backend is unreachable: "closed" (refuse, default) or "open" (serve without limits).',
      enum: ['open', 'closed'],
    },
  },
};
