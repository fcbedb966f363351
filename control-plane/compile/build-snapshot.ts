import { SNAPSHOT_SCHEMA_VERSION, type Snapshot } from '../../common/snapshot.js';
import type { ConfigIndex } from '../config/index.js';
import type { Resolver } from '../config/resolve.js';
import { buildHierarchy } from './build-hierarchy.js';
import { buildPricing, buildProviders, buildRoutes } from './build-routing.js';
import { buildCachePolicies, buildGateway, buildGuardrails } from './build-settings.js';
import { contentVersion } from './canonical.js';

/** Builds the snapshot of a config that passed all checks. Pure: same index → same bytes. */
export function buildSnapshot(index: ConfigIndex, resolver: Resolver, source?: Snapshot['source']): Snapshot {
  const gateway = buildGateway(index);
  const { nodes, keys } = buildHierarchy(index, resolver);
  const body = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    gateway,
    nodes,
    keys,
    providers: buildProviders(index),
    routes: buildRoutes(index, gateway.defaultMaxOutputTokens),
    pricing: buildPricing(index),
    cachePolicies: buildCachePolicies(index),
    guardrails: buildGuardrails(index),
  };
  const version = contentVersion(body);
  const { schemaVersion, ...rest } = body;
  return { schemaVersion, version, ...(source ? { source } : {}), ...rest };
}

/** Recomputes a snapshot's content version (to verify a pushed snapshot was not altered). */
export function versionOf(snapshot: Snapshot): string {
  const { version: _v, source: _s, ...rest } = snapshot;
  return contentVersion(rest);
}
