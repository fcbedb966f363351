/**
 * Name → document maps over a ConfigSet, built once per compile and shared by the checks, the
 * governance rules and the compiler. The first document wins for a duplicated name (the
 * duplicate is reported by the id check).
 */
import type {
  CachePolicyDoc,
  ConfigDoc,
  ConfigSet,
  GatewayDoc,
  KeyDoc,
  Loaded,
  OrganizationDoc,
  PolicyDoc,
  PriceEntryDoc,
  PricingDoc,
  ProviderDoc,
  RouteDoc,
  TeamDoc,
} from './model.js';

export interface PricedModel {
  pricing: Loaded<PricingDoc>;
  model: string;
  entries: PriceEntryDoc[];
}

export interface ConfigIndex {
  config: ConfigSet;
  orgs: Map<string, Loaded<OrganizationDoc>>;
  teams: Map<string, Loaded<TeamDoc>>;
  keys: Map<string, Loaded<KeyDoc>>;
  providers: Map<string, Loaded<ProviderDoc>>;
  routes: Map<string, Loaded<RouteDoc>>;
  cachePolicies: Map<string, Loaded<CachePolicyDoc>>;
  policies: Map<string, Loaded<PolicyDoc>>;
  /** "<provider>/<model>" → the first Pricing document pricing it. */
  prices: Map<string, PricedModel>;
  gateway: Loaded<GatewayDoc> | null;
  teamsByOrg: Map<string, Loaded<TeamDoc>[]>;
  keysByTeam: Map<string, Loaded<KeyDoc>[]>;
}

function byName<D extends ConfigDoc>(list: Loaded<D>[]): Map<string, Loaded<D>> {
  const map = new Map<string, Loaded<D>>();
  for (const item of list) if (!map.has(item.doc.name)) map.set(item.doc.name, item);
  return map;
}

function groupBy<D extends ConfigDoc>(list: Loaded<D>[], key: (d: D) => string): Map<string, Loaded<D>[]> {
  const map = new Map<string, Loaded<D>[]>();
  for (const item of list) {
    const k = key(item.doc);
    const bucket = map.get(k);
    if (bucket) bucket.push(item);
    else map.set(k, [item]);
  }
  return map;
}

export function buildIndex(config: ConfigSet): ConfigIndex {
  const prices = new Map<string, PricedModel>();
  for (const pricing of config.pricing) {
    for (const [model, entries] of Object.entries(pricing.doc.models)) {
      const id = `${pricing.doc.provider}/${model}`;
      if (!prices.has(id)) prices.set(id, { pricing, model, entries });
    }
  }
  return {
    config,
    orgs: byName(config.organizations),
    teams: byName(config.teams),
    keys: byName(config.keys),
    providers: byName(config.providers),
    routes: byName(config.routes),
    cachePolicies: byName(config.cachePolicies),
    policies: byName(config.policies),
    prices,
    gateway: config.gateways[0] ?? null,
    teamsByOrg: groupBy<TeamDoc>(config.teams, (d) => d.org),
    keysByTeam: groupBy<KeyDoc>(config.keys, (d) => d.team),
  };
}
