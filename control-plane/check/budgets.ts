import { formatMicros } from '../../common/money.js';
import type { BudgetDoc, KeyDoc, Loaded, OrganizationDoc, TeamDoc } from '../config/model.js';
import { isValidTimezone, usdMicros } from '../config/units.js';
import type { CheckContext } from './context.js';

const PERIOD_DAYS = { daily: 1, weekly: 7, monthly: 31 } as const;

/**
 * How many of the child's periods one parent period can touch: a child may spend its whole
 * budget in each of them. Same period → 1; a daily child under a monthly parent → 31; a weekly
 * child under a monthly parent → 6; a monthly child under a weekly parent → 2 (a week can span
 * a month boundary).
 */
export function periodFactor(child: BudgetDoc['period'], parent: BudgetDoc['period']): number {
  if (child === parent) return 1;
  return Math.ceil((PERIOD_DAYS[parent] - 1) / PERIOD_DAYS[child]) + 1;
}

/** Budgets parse, their timezones exist, and children's budgets fit in their parent's. */
export function checkBudgets(ctx: CheckContext): void {
  const ix = ctx.index;
  for (const level of [...ix.config.organizations, ...ix.config.teams, ...ix.config.keys]) {
    const tz = level.doc.budget?.timezone;
    if (tz !== undefined && !isValidTimezone(tz)) {
      ctx.report(
        level,
        ['budget', 'timezone'],
        'budget/timezone',
        `unknown IANA timezone "${tz}" (e.g. "UTC", "Europe/Berlin")`,
      );
    }
  }
  for (const org of ix.config.organizations) {
    if (ix.orgs.get(org.doc.name) !== org) continue;
    checkChildren(ctx, org, ix.teamsByOrg.get(org.doc.name) ?? []);
  }
  for (const team of ix.config.teams) {
    if (ix.teams.get(team.doc.name) !== team) continue;
    checkChildren(ctx, team, ix.keysByTeam.get(team.doc.name) ?? []);
  }
}

function checkChildren(
  ctx: CheckContext,
  parent: Loaded<OrganizationDoc | TeamDoc>,
  children: Loaded<TeamDoc | KeyDoc>[],
): void {
  const budget = parent.doc.budget;
  if (!budget || parent.doc.overcommit) return;
  const limit = usdMicros(budget.amount);
  let sum = 0;
  let budgeted = 0;
  const parts: string[] = [];
  for (const child of children) {
    const b = child.doc.budget;
    if (!b) continue;
    budgeted++;
    const factor = periodFactor(b.period, budget.period);
    sum += usdMicros(b.amount) * factor;
    if (parts.length < 5) parts.push(`${child.doc.name} $${b.amount}${factor > 1 ? ` ${b.period} ×${factor}` : ''}`);
  }
  if (sum > limit) {
    const childKind = parent.doc.kind === 'Organization' ? 'teams' : 'keys';
    ctx.report(
      parent,
      ['budget', 'amount'],
      'budget/children-exceed-parent',
      `budgets of its ${childKind} add up to $${formatMicros(sum)} per ${budget.period} period, more than this ${parent.doc.kind.toLowerCase()}'s $${budget.amount} (${parts.join(', ')}${parts.length < budgeted ? ', …' : ''}); lower them or set overcommit: true`,
    );
  }
}
