/** Plan output as terminal text or as Markdown for a pull-request comment. */
import { type ChangeKind, countChanges, type Plan } from './model.js';

const SIGN: Record<ChangeKind, string> = { add: '+', remove: '-', change: '~' };

function summary(plan: Plan): string {
  const n = countChanges(plan);
  const from = plan.baseVersion ?? '(empty)';
  return n === 0
    ? `No changes: ${plan.headVersion} is identical to the base.`
    : `${n} change${n === 1 ? '' : 's'}: ${from} → ${plan.headVersion}`;
}

export function renderPlanText(plan: Plan): string {
  const lines = [summary(plan)];
  for (const section of plan.sections) {
    lines.push('', `${section.title}:`);
    for (const c of section.changes) lines.push(`  ${SIGN[c.kind]} ${c.subject}: ${c.detail}`);
  }
  return lines.join('\n');
}

const escapeMd = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;');

export function renderPlanMarkdown(plan: Plan): string {
  const lines = ['### Sluice config plan', '', summary(plan).replace(/(v-[0-9a-f]{16})/g, '`$1`')];
  for (const section of plan.sections) {
    lines.push('', `#### ${section.title}`, '', '| | Subject | Change |', '|---|---|---|');
    for (const c of section.changes) {
      lines.push(
        `| ${c.kind === 'add' ? '➕' : c.kind === 'remove' ? '➖' : '✏️'} | \`${escapeMd(c.subject)}\` | ${escapeMd(c.detail)} |`,
      );
    }
  }
  return lines.join('\n');
}
