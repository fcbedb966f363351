import { documentBase, hierarchyProperties, type JsonSchema, ref } from './common.js';

export const Organization: JsonSchema = {
  description: 'The root of a budget hierarchy. Teams belong to an organization.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name'],
  properties: {
    ...documentBase('Organization', 'Organization: the root of a budget hierarchy.'),
    ...hierarchyProperties('organization'),
    overcommit: {
      description:
        "Allow the teams' budgets to add up to more than this organization's budget (the organization's own budget still caps them at run time). Default false.",
      type: 'boolean',
    },
  },
};

export const Team: JsonSchema = {
  description: 'A team inside an organization. Keys belong to a team.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name', 'org'],
  properties: {
    ...documentBase('Team', 'Team: a group of keys sharing a budget.'),
    org: ref('Name', 'Name of the Organization this team belongs to.'),
    ...hierarchyProperties('team'),
    overcommit: {
      description: "Allow the keys' budgets to add up to more than this team's budget. Default false.",
      type: 'boolean',
    },
  },
};

export const Key: JsonSchema = {
  description: 'A virtual API key. Config stores only the SHA-256 hash of its secret.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name', 'team', 'hash'],
  properties: {
    ...documentBase('Key', 'Key: a virtual API key clients send as "Authorization: Bearer sk-sluice-…".'),
    team: ref('Name', 'Name of the Team this key belongs to.'),
    hash: ref('KeyHash', 'SHA-256 hash of the secret, "sha256:<64 hex>". Never the secret.'),
    status: {
      description:
        'Lifecycle state: "active" (default), "disabled" (temporarily refused) or "revoked" (permanently refused).',
      enum: ['active', 'disabled', 'revoked'],
    },
    expires_at: ref(
      'Timestamp',
      'When the key stops working. Absent = never expires (governance rules may forbid that).',
    ),
    priority: {
      description: 'Queue priority when every provider is saturated: higher is served first. Default 0.',
      type: 'integer',
      minimum: -100,
      maximum: 100,
    },
    metadata: {
      description: 'Free-form string metadata (owner, ticket, …); not used for enforcement.',
      type: 'object',
      additionalProperties: { type: 'string', maxLength: 1024 },
    },
    ...hierarchyProperties('key'),
  },
};
