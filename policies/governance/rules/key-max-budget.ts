import { usdMicros } from '../../../control-plane/config/units.js';
import { defineRule, type Finding } from '../types.js';

/** Caps what a single key may spend, so one leaked key cannot drain a team. */
export const keyMaxBudget = defineRule<{ amount: string; require_budget: boolean }>({
  id: 'key-max-budget',
  description:
    'Every key budget must be at most `amount` USD per period; with require_budget, every key needs a budget.',
  defaultSeverity: 'error',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      amount: {
        type: 'string',
        pattern: '^\\d{1,12}(?:\\.\\d{1,6})?$',
        description: 'Maximum key budget in USD, e.g. "100.00".',
      },
      require_budget: { type: 'boolean', description: 'Also flag keys without a budget. Default true.' },
    },
  },
  defaults: { amount: '100', require_budget: true },
  check({ index }, { amount, require_budget }) {
    const max = usdMicros(amount);
    const out: Finding[] = [];
    for (const key of index.config.keys) {
      const budget = key.doc.budget;
      if (!budget) {
        if (require_budget && (key.doc.status ?? 'active') === 'active') {
          out.push({
            target: key,
            path: ['name'],
            message: `key "${key.doc.name}" has no budget (at most $${amount} required)`,
          });
        }
      } else if (usdMicros(budget.amount) > max) {
        out.push({
          target: key,
          path: ['budget', 'amount'],
          message: `key "${key.doc.name}" budget $${budget.amount} exceeds the $${amount} maximum per key`,
        });
      }
    }
    return out;
  },
});
