/**
 * Resolves what a key inherits from its team and org: the budget chain, the effective route
 * allow-list (intersection), the cache policy (key > team > org), guardrails (org, team, key
 * order) and merged tags (org < team < key). Team-level results are memoized, so resolving
 * 10k keys costs one pass.
 */
import type { ConfigIndex } from './index.js';
import type { KeyDoc, OrganizationDoc, TeamDoc } from './model.js';

export interface ResolvedKey {
  chain: string[];
  team: string;
  org: string;
  allowedRoutes: string[];
  cachePolicy: string | null;
  guardrails: string[];
  tags: Record<string, string>;
}

interface Level {
  allowed_routes?: string[];
  cache_policy?: string;
  guardrails?: string[];
  tags?: Record<string, string>;
}

interface Partial {
  allowed: Set<string> | null; // null = all routes
  cachePolicy: string | undefined; // undefined = not set at any level so far
  guardrails: string[];
  tags: Record<string, string>;
}

const ALL = null;

export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export class Resolver {
  private readonly routeNames: string[];
  private readonly teamMemo = new Map<string, Partial>();
  /** Identifies the set of route names (glob expansion depends on it). */
  readonly routesKey: string;

  constructor(private readonly index: ConfigIndex) {
    this.routeNames = [...index.routes.keys()].sort();
    this.routesKey = this.routeNames.join('\n');
  }

  /** Route names matched by an allow-list; null means every route. */
  expand(patterns: readonly string[] | undefined): Set<string> | null {
    if (patterns === undefined || patterns.includes('*')) return ALL;
    const out = new Set<string>();
    for (const p of patterns) {
      if (!p.includes('*')) {
        out.add(p);
        continue;
      }
      const re = globToRegExp(p);
      for (const name of this.routeNames) if (re.test(name)) out.add(name);
    }
    return out;
  }

  private apply(base: Partial, level: Level): Partial {
    const own = this.expand(level.allowed_routes);
    let allowed: Set<string> | null;
    if (base.allowed === ALL) allowed = own;
    else if (own === ALL) allowed = base.allowed;
    else allowed = new Set([...base.allowed].filter((r) => own.has(r)));
    const guardrails = [...base.guardrails];
    for (const g of level.guardrails ?? []) if (!guardrails.includes(g)) guardrails.push(g);
    return {
      allowed,
      cachePolicy: level.cache_policy ?? base.cachePolicy,
      guardrails,
      tags: level.tags ? { ...base.tags, ...level.tags } : base.tags,
    };
  }

  private teamPartial(team: TeamDoc, org: OrganizationDoc | undefined): Partial {
    let memo = this.teamMemo.get(team.name);
    if (!memo) {
      const root: Partial = { allowed: ALL, cachePolicy: undefined, guardrails: [], tags: {} };
      memo = this.apply(org ? this.apply(root, org) : root, team);
      this.teamMemo.set(team.name, memo);
    }
    return memo;
  }

  /** Effective cache policy name of a team (team > org), null when none/off. */
  teamCachePolicy(team: TeamDoc): string | null {
    const p = this.teamPartial(team, this.index.orgs.get(team.org)?.doc);
    return p.cachePolicy === undefined || p.cachePolicy === 'none' ? null : p.cachePolicy;
  }

  /** Null when the key's team or org does not exist (reported by the reference check). */
  key(key: KeyDoc): ResolvedKey | null {
    const team = this.index.teams.get(key.team)?.doc;
    if (!team) return null;
    const org = this.index.orgs.get(team.org)?.doc;
    if (!org) return null;
    const p = this.apply(this.teamPartial(team, org), key);
    return {
      chain: [`key:${key.name}`, `team:${team.name}`, `org:${org.name}`],
      team: team.name,
      org: org.name,
      allowedRoutes: p.allowed === ALL ? ['*'] : [...p.allowed].sort(),
      cachePolicy: p.cachePolicy === undefined || p.cachePolicy === 'none' ? null : p.cachePolicy,
      guardrails: p.guardrails,
      tags: p.tags,
    };
  }
}
