/** The combined config schema: one file editors point at, one document kind per `kind`. */
import { commonDefs, ifThen, type JsonSchema } from './common.js';
import { Key, Organization, Team } from './hierarchy.js';
import { Gateway, Policy } from './policy-gateway.js';
import { CachePolicy, Pricing } from './pricing-cache.js';
import { Provider } from './provider.js';
import { Route } from './route.js';

export const CONFIG_SCHEMA_ID = 'https://sluice.dev/schemas/sluice.schema.json';

export const KIND_SCHEMAS: Record<string, JsonSchema> = {
  Organization,
  Team,
  Key,
  Provider,
  Route,
  Pricing,
  CachePolicy,
  Policy,
  Gateway,
};

export const KINDS = Object.keys(KIND_SCHEMAS);

export const configSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: CONFIG_SCHEMA_ID,
  title: 'Sluice config document',
  description:
    'One YAML document of a Sluice config repository. Point editors at this file with a first line "# yaml-language-server: $schema=<path>/schemas/sluice.schema.json".',
  type: 'object',
  required: ['apiVersion', 'kind'],
  properties: {
    apiVersion: { description: 'Config API version. Always "sluice/v1".', const: 'sluice/v1' },
    kind: { description: 'Document kind.', enum: KINDS },
  },
  allOf: KINDS.map((kind) =>
    ifThen({ properties: { kind: { const: kind } }, required: ['kind'] }, { $ref: `#/$defs/${kind}` }),
  ),
  $defs: { ...commonDefs, ...KIND_SCHEMAS },
};
