/** The built-in governance rules, by id. Adding a rule = one file in rules/ + one line here. */
import { highStakesSemanticThreshold } from './rules/high-stakes-semantic-threshold.js';
import { keyMaxBudget } from './rules/key-max-budget.js';
import { keyMaxLifetime } from './rules/key-max-lifetime.js';
import { keyRequiredMetadata } from './rules/key-required-metadata.js';
import { productionRouteFallback } from './rules/production-route-fallback.js';
import { teamRequiresBudget } from './rules/team-requires-budget.js';
import type { GovernanceRule } from './types.js';

export const BUILT_IN_RULES: ReadonlyMap<string, GovernanceRule> = new Map(
  [
    keyMaxLifetime,
    keyMaxBudget,
    productionRouteFallback,
    highStakesSemanticThreshold,
    teamRequiresBudget,
    keyRequiredMetadata,
  ].map((r) => [r.id, r]),
);
