/** Budget nodes (org, team, key) and key records with everything resolved for O(1) lookups. */
import { usdToMicros } from '../../common/money.js';
import type { Budget, BudgetNode, KeyRecord, Limits } from '../../common/snapshot.js';
import type { ConfigIndex } from '../config/index.js';
import type { BudgetDoc, LimitsDoc } from '../config/model.js';
import type { Resolver } from '../config/resolve.js';
import { timestampMs } from '../config/units.js';
import { sortedMap, sortedRecord } from './canonical.js';
import { DEFAULT_TIMEZONE } from './defaults.js';

function budget(doc: BudgetDoc | undefined): Budget | null {
  if (!doc) return null;
  return { amountMicros: usdToMicros(doc.amount), period: doc.period, timezone: doc.timezone ?? DEFAULT_TIMEZONE };
}

function limits(doc: LimitsDoc | undefined): Limits {
  return { rpm: doc?.rpm ?? null, tpm: doc?.tpm ?? null, tpd: doc?.tpd ?? null, maxConcurrent: doc?.max_concurrent ?? null };
}

export function buildHierarchy(
  index: ConfigIndex,
  resolver: Resolver,
): { nodes: Record<string, BudgetNode>; keys: Record<string, KeyRecord> } {
  const nodes: [string, BudgetNode][] = [];
  const node = (kind: BudgetNode['kind'], name: string, parent: string | null, d: { budget?: BudgetDoc; limits?: LimitsDoc; tags?: Record<string, string> }) => {
    const id = `${kind}:${name}`;
    nodes.push([id, { id, kind, name, parent, budget: budget(d.budget), limits: limits(d.limits), tags: sortedMap(d.tags) }]);
  };
  for (const [name, { doc }] of index.orgs) node('org', name, null, doc);
  for (const [name, { doc }] of index.teams) node('team', name, `org:${doc.org}`, doc);
  const keys: [string, KeyRecord][] = [];
  for (const [name, { doc }] of index.keys) {
    node('key', name, `team:${doc.team}`, doc);
    const r = resolver.key(doc);
    if (!r) continue; // unknown team/org: reported by the checks, never compiled
    const hash = doc.hash.slice('sha256:'.length);
    keys.push([
      hash,
      {
        name,
        hash,
        chain: r.chain,
        team: r.team,
        org: r.org,
        status: doc.status ?? 'active',
        expiresAt: doc.expires_at === undefined ? null : timestampMs(doc.expires_at),
        priority: doc.priority ?? 0,
        allowedRoutes: r.allowedRoutes,
        cachePolicy: r.cachePolicy,
        guardrails: r.guardrails,
        tags: sortedMap(r.tags),
        metadata: sortedMap(doc.metadata),
      },
    ]);
  }
  return { nodes: sortedRecord(nodes), keys: sortedRecord(keys) };
}
