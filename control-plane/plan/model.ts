/** What `sluice plan` reports: sections of changes a reviewer reads. */
export type ChangeKind = 'add' | 'remove' | 'change';

export interface Change {
  kind: ChangeKind;
  /** Subject, e.g. "team:search" or "route gpt-4o". */
  subject: string;
  /** What changed, e.g. "budget $2000/monthly → $2500/monthly (+25%)". */
  detail: string;
}

export interface PlanSection {
  title: string;
  changes: Change[];
}

export interface Plan {
  baseVersion: string | null;
  headVersion: string;
  sections: PlanSection[];
}

export function countChanges(plan: Plan): number {
  return plan.sections.reduce((n, s) => n + s.changes.length, 0);
}
