/**
 * Compares two compiled snapshots the way a reviewer thinks: budgets and limits per node, keys
 * added/revoked/rotated, routing weights and fallback chains, dated price changes, and every
 * other setting as field-level changes.
 */
import type { KeyRecord, Snapshot } from '../../common/snapshot.js';
import {
  budgetText,
  chainText,
  dateText,
  leafDiff,
  limitsText,
  percentDelta,
  priceText,
  targetsText,
} from './format-values.js';
import type { Change, Plan, PlanSection } from './model.js';

const EMPTY: Omit<Snapshot, 'version' | 'gateway'> = {
  schemaVersion: 1,
  nodes: {},
  keys: {},
  providers: {},
  routes: {},
  pricing: {},
  cachePolicies: {},
  guardrails: {},
};

function keysOf<T>(a: Record<string, T>, b: Record<string, T>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function budgetsAndLimits(base: Snapshot['nodes'], head: Snapshot['nodes']): [Change[], Change[]] {
  const budgets: Change[] = [];
  const limits: Change[] = [];
  for (const id of keysOf(base, head)) {
    const a = base[id];
    const b = head[id];
    if (!a && b) {
      if (b.budget) budgets.push({ kind: 'add', subject: id, detail: `budget ${budgetText(b.budget)}` });
      if (limitsText(b.limits) !== 'unlimited') limits.push({ kind: 'add', subject: id, detail: limitsText(b.limits) });
    } else if (a && !b) {
      if (a.budget)
        budgets.push({
          kind: 'remove',
          subject: id,
          detail: `budget ${budgetText(a.budget)} removed with the ${a.kind}`,
        });
    } else if (a && b) {
      if (JSON.stringify(a.budget) !== JSON.stringify(b.budget)) {
        const delta =
          a.budget && b.budget && a.budget.period === b.budget.period
            ? percentDelta(a.budget.amountMicros, b.budget.amountMicros)
            : '';
        budgets.push({
          kind: 'change',
          subject: id,
          detail: `budget ${budgetText(a.budget)} → ${budgetText(b.budget)}${delta}`,
        });
      }
      if (JSON.stringify(a.limits) !== JSON.stringify(b.limits)) {
        limits.push({ kind: 'change', subject: id, detail: `${limitsText(a.limits)} → ${limitsText(b.limits)}` });
      }
      if (a.parent !== b.parent)
        limits.push({ kind: 'change', subject: id, detail: `moved from ${a.parent} to ${b.parent}` });
    }
  }
  return [budgets, limits];
}

function keyChanges(base: Snapshot['keys'], head: Snapshot['keys']): Change[] {
  const byName = (keys: Snapshot['keys']) => new Map(Object.values(keys).map((k): [string, KeyRecord] => [k.name, k]));
  const a = byName(base);
  const b = byName(head);
  const out: Change[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(name);
    const y = b.get(name);
    const subject = `key ${name}`;
    if (!x && y)
      out.push({
        kind: 'add',
        subject,
        detail: `added to team ${y.team} (${y.status}, expires ${dateText(y.expiresAt)})`,
      });
    else if (x && !y)
      out.push({ kind: 'remove', subject, detail: `deleted from team ${x.team} (requests with it will be refused)` });
    else if (x && y) {
      if (x.status !== y.status) {
        out.push({
          kind: y.status === 'active' ? 'change' : 'remove',
          subject,
          detail: y.status === 'revoked' ? 'REVOKED' : `status ${x.status} → ${y.status}`,
        });
      }
      if (x.hash !== y.hash)
        out.push({ kind: 'change', subject, detail: 'secret rotated (new hash; the old secret stops working)' });
      if (x.team !== y.team) out.push({ kind: 'change', subject, detail: `team ${x.team} → ${y.team}` });
      if (x.expiresAt !== y.expiresAt)
        out.push({ kind: 'change', subject, detail: `expires ${dateText(x.expiresAt)} → ${dateText(y.expiresAt)}` });
      for (const field of ['allowedRoutes', 'cachePolicy', 'guardrails', 'priority'] as const) {
        if (JSON.stringify(x[field]) !== JSON.stringify(y[field])) {
          out.push({
            kind: 'change',
            subject,
            detail: `${field} ${JSON.stringify(x[field])} → ${JSON.stringify(y[field])}`,
          });
        }
      }
    }
  }
  return out;
}

function routeChanges(base: Snapshot['routes'], head: Snapshot['routes']): [Change[], Change[]] {
  const routing: Change[] = [];
  const other: Change[] = [];
  for (const name of keysOf(base, head)) {
    const a = base[name];
    const b = head[name];
    const subject = `route ${name}`;
    if (!a && b) {
      routing.push({
        kind: 'add',
        subject,
        detail: `targets ${targetsText(b.targets)}; fallback ${chainText(b.fallback)}`,
      });
      continue;
    }
    if (a && !b) {
      routing.push({ kind: 'remove', subject, detail: 'removed (clients calling it get 404)' });
      continue;
    }
    if (JSON.stringify(a.targets) !== JSON.stringify(b.targets)) {
      routing.push({
        kind: 'change',
        subject,
        detail: `weights ${targetsText(a.targets)} → ${targetsText(b.targets)}`,
      });
    }
    if (JSON.stringify(a.fallback) !== JSON.stringify(b.fallback)) {
      routing.push({ kind: 'change', subject, detail: `fallback ${chainText(a.fallback)} → ${chainText(b.fallback)}` });
    }
    const { targets: _t1, fallback: _f1, ...restA } = a;
    const { targets: _t2, fallback: _f2, ...restB } = b;
    for (const line of leafDiff(restA, restB)) other.push({ kind: 'change', subject, detail: line });
  }
  return [routing, other];
}

function pricingChanges(base: Snapshot['pricing'], head: Snapshot['pricing']): Change[] {
  const out: Change[] = [];
  for (const id of keysOf(base, head)) {
    const a = base[id] ?? [];
    const b = head[id] ?? [];
    const aBy = new Map(a.map((p) => [p.effectiveFrom, p]));
    const bBy = new Map(b.map((p) => [p.effectiveFrom, p]));
    for (const p of b) {
      const old = aBy.get(p.effectiveFrom);
      if (!old) {
        const previous = [...b].reverse().find((q) => q.effectiveFrom < p.effectiveFrom);
        out.push({
          kind: 'add',
          subject: id,
          detail: `from ${dateText(p.effectiveFrom)}: ${priceText(p)}${previous ? ` (was ${priceText(previous)})` : ''}`,
        });
      } else if (JSON.stringify(old) !== JSON.stringify(p)) {
        out.push({
          kind: 'change',
          subject: id,
          detail: `from ${dateText(p.effectiveFrom)}: ${priceText(old)} → ${priceText(p)}`,
        });
      }
    }
    for (const p of a) {
      if (!bBy.has(p.effectiveFrom))
        out.push({
          kind: 'remove',
          subject: id,
          detail: `price from ${dateText(p.effectiveFrom)} removed (${priceText(p)})`,
        });
    }
  }
  return out;
}

function recordChanges<T>(label: string, base: Record<string, T>, head: Record<string, T>): Change[] {
  const out: Change[] = [];
  for (const id of keysOf(base, head)) {
    const subject = `${label} ${id}`;
    if (!(id in base)) out.push({ kind: 'add', subject, detail: 'added' });
    else if (!(id in head)) out.push({ kind: 'remove', subject, detail: 'removed' });
    else for (const line of leafDiff(base[id], head[id])) out.push({ kind: 'change', subject, detail: line });
  }
  return out;
}

export function diffSnapshots(base: Snapshot | null, head: Snapshot): Plan {
  const b = base ?? { ...EMPTY, version: '', gateway: head.gateway };
  const [budgets, limits] = budgetsAndLimits(b.nodes, head.nodes);
  const [routing, routeSettings] = routeChanges(b.routes, head.routes);
  const sections: PlanSection[] = [
    { title: 'Budgets', changes: budgets },
    { title: 'Rate limits', changes: limits },
    { title: 'Keys', changes: keyChanges(b.keys, head.keys) },
    { title: 'Routing (weights and fallback chains)', changes: routing },
    { title: 'Route settings', changes: routeSettings },
    { title: 'Pricing', changes: pricingChanges(b.pricing, head.pricing) },
    { title: 'Providers', changes: recordChanges('provider', b.providers, head.providers) },
    { title: 'Cache policies', changes: recordChanges('cache policy', b.cachePolicies, head.cachePolicies) },
    { title: 'Guardrails', changes: recordChanges('guardrail', b.guardrails, head.guardrails) },
    {
      title: 'Gateway settings',
      changes: recordChanges('gateway', { settings: b.gateway }, { settings: head.gateway }),
    },
  ];
  return {
    baseVersion: base?.version ?? null,
    headVersion: head.version,
    sections: sections.filter((s) => s.changes.length > 0),
  };
}
