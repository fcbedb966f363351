/** Turns snapshot nodes into limiter NodeSpecs: limits and budgets read at reservation time. */
import type { BudgetNode, KeyRecord, Snapshot } from '../../common/snapshot.js';
import { type PeriodCache, TRACKING_PERIOD } from './period.js';
import type { NodeSpec } from './types.js';

export function nodeSpec(node: BudgetNode, now: number, periods: PeriodCache): NodeSpec {
  const def = node.budget ?? TRACKING_PERIOD;
  const w = periods.window(now, def.period, def.timezone);
  return {
    id: node.id,
    rpm: node.limits.rpm,
    tpm: node.limits.tpm,
    tpd: node.limits.tpd,
    maxConcurrent: node.limits.maxConcurrent,
    budgetMicros: node.budget ? node.budget.amountMicros : null,
    periodStart: w.start,
    periodEnd: w.end,
  };
}

/** The key's chain (key, team, org) as specs; ids missing from the snapshot are skipped. */
export function chainSpecs(snapshot: Snapshot, key: KeyRecord, now: number, periods: PeriodCache): NodeSpec[] {
  const out: NodeSpec[] = [];
  for (const id of key.chain) {
    const node = snapshot.nodes[id];
    if (node) out.push(nodeSpec(node, now, periods));
  }
  return out;
}

/**
 * The hash tag every key of one request shares: the outermost node of the chain (the org).
 * All nodes of a request live in one org, so one Redis Cluster slot holds them all.
 */
export function scopeOfChain(key: KeyRecord): string {
  return key.chain[key.chain.length - 1] ?? `key:${key.name}`;
}

/** The outermost ancestor of a node (its org) — the scope its counters live under. */
export function scopeOfNode(snapshot: Snapshot, id: string): string {
  let current = id;
  for (let hops = 0; hops < 16; hops++) {
    const parent = snapshot.nodes[current]?.parent;
    if (!parent || !snapshot.nodes[parent]) return current;
    current = parent;
  }
  return current;
}

interface CachedChain {
  specs: NodeSpec[];
  /** The specs hold while now ∈ [from, until): every node's budget period is the same. */
  from: number;
  until: number;
}

const chains = new WeakMap<Snapshot, WeakMap<KeyRecord, CachedChain>>();

/**
 * chainSpecs, reused while no node's period has rolled over (snapshots are immutable, so a key's
 * chain and limits only change with a new snapshot — a new cache). The specs are read-only: the
 * limiter and reservations keep them as they are.
 */
export function cachedChainSpecs(snapshot: Snapshot, key: KeyRecord, now: number, periods: PeriodCache): NodeSpec[] {
  let byKey = chains.get(snapshot);
  if (!byKey) {
    byKey = new WeakMap();
    chains.set(snapshot, byKey);
  }
  const hit = byKey.get(key);
  if (hit && now >= hit.from && now < hit.until) return hit.specs;
  const specs = chainSpecs(snapshot, key, now, periods);
  let from = Number.NEGATIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  for (const s of specs) {
    if (s.periodStart > from) from = s.periodStart;
    if (s.periodEnd < until) until = s.periodEnd;
  }
  byKey.set(key, { specs, from, until });
  return specs;
}
