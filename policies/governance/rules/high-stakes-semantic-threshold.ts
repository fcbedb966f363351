import type { Loaded, TeamDoc } from '../../../control-plane/config/model.js';
import { defineRule, type Finding, type GovernanceInput } from '../types.js';

interface Params {
  tag: string;
  value: string;
  min_threshold: number;
}

/**
 * A semantic cache hit is a guess; teams whose answers must be right (medical, legal, finance)
 * may only use it with a high similarity threshold. Checks the team's effective policy and
 * every key override below the team.
 */
export const highStakesSemanticThreshold = defineRule<Params>({
  id: 'high-stakes-semantic-threshold',
  description:
    'Teams tagged `tag: value` (default risk: high-stakes) and their keys may only use semantic caching with threshold >= min_threshold.',
  defaultSeverity: 'error',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      tag: { type: 'string', minLength: 1, description: 'Tag name marking high-stakes teams. Default "risk".' },
      value: {
        type: 'string',
        minLength: 1,
        description: 'Tag value marking high-stakes teams. Default "high-stakes".',
      },
      min_threshold: {
        type: 'number',
        minimum: 0,
        maximum: 1,
        description: 'Lowest allowed similarity threshold. Default 0.98.',
      },
    },
  },
  defaults: { tag: 'risk', value: 'high-stakes', min_threshold: 0.98 },
  check(input, params) {
    const out: Finding[] = [];
    for (const team of input.index.config.teams) {
      if (team.doc.tags?.[params.tag] !== params.value) continue;
      const teamPolicy = input.resolver.teamCachePolicy(team.doc);
      const teamIssue = tooLow(input, teamPolicy, params);
      if (teamIssue) {
        out.push({
          target: team,
          path: team.doc.cache_policy !== undefined ? ['cache_policy'] : ['tags', params.tag],
          message: `team "${team.doc.name}" is ${params.tag}: ${params.value} but its cache policy "${teamPolicy}" ${teamIssue}`,
        });
      }
      checkKeys(input, team, params, out);
    }
    return out;
  },
});

function checkKeys(input: GovernanceInput, team: Loaded<TeamDoc>, params: Params, out: Finding[]): void {
  for (const key of input.index.keysByTeam.get(team.doc.name) ?? []) {
    if (key.doc.cache_policy === undefined) continue; // inherits the team's, checked above
    const issue = tooLow(input, key.doc.cache_policy === 'none' ? null : key.doc.cache_policy, params);
    if (issue) {
      out.push({
        target: key,
        path: ['cache_policy'],
        message: `key "${key.doc.name}" of ${params.tag}: ${params.value} team "${team.doc.name}" uses cache policy "${key.doc.cache_policy}" which ${issue}`,
      });
    }
  }
}

function tooLow(input: GovernanceInput, policyName: string | null, params: Params): string | null {
  if (policyName === null) return null;
  const semantic = input.index.cachePolicies.get(policyName)?.doc.semantic;
  if (!semantic?.enabled) return null;
  const threshold = semantic.threshold ?? 0.95;
  return threshold < params.min_threshold
    ? `has semantic threshold ${threshold}, below the required ${params.min_threshold}`
    : null;
}
