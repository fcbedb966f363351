/** Budget nodes (org, team, key) and key records with everything resolved for O(1) lookups. */
import { usdToMicros } from '../../common/money.js';
import type { Budget, BudgetNode, KeyRecord, Limits } from '../../common/snapshot.js';
import type { ConfigIndex } from '../config/index.js';
import type { BudgetDoc, KeyDoc, LimitsDoc, OrganizationDoc, TeamDoc } from '../config/model.js';
import type { Resolver } from '../config/resolve.js';
import { timestampMs } from '../config/units.js';
import { type BuildCache, type CachedKey, type CachedNode, joinJsonRecord } from './build-cache.js';
import { sortedMap } from './canonical.js';
import { DEFAULT_TIMEZONE } from './defaults.js';

function budget(doc: BudgetDoc | undefined): Budget | null {
  if (!doc) return null;
  return { amountMicros: usdToMicros(doc.amount), period: doc.period, timezone: doc.timezone ?? DEFAULT_TIMEZONE };
}

function limits(doc: LimitsDoc | undefined): Limits {
  return {
    rpm: doc?.rpm ?? null,
    tpm: doc?.tpm ?? null,
    tpd: doc?.tpd ?? null,
    maxConcurrent: doc?.max_concurrent ?? null,
  };
}

type LevelDoc = OrganizationDoc | TeamDoc | KeyDoc;

function nodeOf(cache: BuildCache, kind: BudgetNode['kind'], doc: LevelDoc, parent: string | null): CachedNode {
  let hit = cache.getNode(doc);
  if (!hit || hit.node.parent !== parent) {
    const id = `${kind}:${doc.name}`;
    const node: BudgetNode = {
      id,
      kind,
      name: doc.name,
      parent,
      budget: budget(doc.budget),
      limits: limits(doc.limits),
      tags: sortedMap(doc.tags),
    };
    hit = { node, json: JSON.stringify(node) };
  }
  cache.setNode(doc, hit);
  return hit;
}

function keyOf(
  cache: BuildCache,
  resolver: Resolver,
  doc: KeyDoc,
  team: TeamDoc,
  org: OrganizationDoc,
): CachedKey | null {
  const hit = cache.getKey(doc);
  if (hit && hit.team === team && hit.org === org && hit.routesKey === resolver.routesKey) {
    cache.setKey(doc, hit);
    return hit;
  }
  const r = resolver.key(doc);
  if (!r) return null;
  const hash = doc.hash.slice('sha256:'.length);
  const record: KeyRecord = {
    name: doc.name,
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
  };
  const entry: CachedKey = { team, org, routesKey: resolver.routesKey, record, json: JSON.stringify(record) };
  cache.setKey(doc, entry);
  return entry;
}

const byId = <T>(a: readonly [string, T], b: readonly [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export interface BuiltHierarchy {
  nodes: Record<string, BudgetNode>;
  keys: Record<string, KeyRecord>;
  nodesJson: string;
  keysJson: string;
}

export function buildHierarchy(index: ConfigIndex, resolver: Resolver, cache: BuildCache): BuiltHierarchy {
  const nodes: [string, CachedNode][] = [];
  for (const { doc } of index.orgs.values()) nodes.push([`org:${doc.name}`, nodeOf(cache, 'org', doc, null)]);
  for (const { doc } of index.teams.values())
    nodes.push([`team:${doc.name}`, nodeOf(cache, 'team', doc, `org:${doc.org}`)]);
  const keys: [string, CachedKey][] = [];
  for (const { doc } of index.keys.values()) {
    nodes.push([`key:${doc.name}`, nodeOf(cache, 'key', doc, `team:${doc.team}`)]);
    const team = index.teams.get(doc.team)?.doc;
    const org = team ? index.orgs.get(team.org)?.doc : undefined;
    // Unknown team/org: reported by the checks, never compiled.
    const built = team && org ? keyOf(cache, resolver, doc, team, org) : null;
    if (built) keys.push([built.record.hash, built]);
  }
  cache.endCompile();
  nodes.sort(byId);
  keys.sort(byId);
  const nodeRecord: Record<string, BudgetNode> = {};
  for (const [id, n] of nodes) nodeRecord[id] = n.node;
  const keyRecord: Record<string, KeyRecord> = {};
  for (const [hash, k] of keys) keyRecord[hash] = k.record;
  return {
    nodes: nodeRecord,
    keys: keyRecord,
    nodesJson: joinJsonRecord(nodes.map(([id, n]) => [id, n.json] as const)),
    keysJson: joinJsonRecord(keys.map(([hash, k]) => [hash, k.json] as const)),
  };
}
