import { defineRule, type Finding } from '../types.js';

/** Without a team budget, spend is only capped by the org — one team can consume everyone's. */
export const teamRequiresBudget = defineRule<Record<string, never>>({
  id: 'team-requires-budget',
  description: 'Every team must declare a budget.',
  defaultSeverity: 'error',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {},
  check({ index }) {
    const out: Finding[] = [];
    for (const team of index.config.teams) {
      if (!team.doc.budget)
        out.push({ target: team, path: ['name'], message: `team "${team.doc.name}" has no budget` });
    }
    return out;
  },
});
