import { createHash } from 'node:crypto';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot } from '../../common/snapshot.js';
import type { ConfigIndex } from '../config/index.js';
import type { Resolver } from '../config/resolve.js';
import { BuildCache } from './build-cache.js';
import { buildHierarchy } from './build-hierarchy.js';
import { buildPricing, buildProviders, buildRoutes } from './build-routing.js';
import { buildCachePolicies, buildGateway, buildGuardrails } from './build-settings.js';
import { contentVersion } from './canonical.js';

/** Canonical JSON of each snapshot's hashed body, kept so pushing it never serializes 10k keys twice. */
const bodyJson = new WeakMap<Snapshot, string>();

/**
 * Builds the snapshot of a config that passed all checks. Pure: same index → same bytes. The
 * body JSON is assembled from per-record JSON (cached across compiles for unchanged documents)
 * and equals JSON.stringify of the body, so the version is the hash of the canonical content.
 */
export function buildSnapshot(
  index: ConfigIndex,
  resolver: Resolver,
  source?: Snapshot['source'],
  cache: BuildCache = new BuildCache(),
): Snapshot {
  const gateway = buildGateway(index);
  const h = buildHierarchy(index, resolver, cache);
  const rest = {
    providers: buildProviders(index),
    routes: buildRoutes(index, gateway.defaultMaxOutputTokens),
    pricing: buildPricing(index),
    cachePolicies: buildCachePolicies(index),
    guardrails: buildGuardrails(index),
  };
  const restJson = JSON.stringify(rest).slice(1, -1);
  const json = `{"schemaVersion":${SNAPSHOT_SCHEMA_VERSION},"gateway":${JSON.stringify(gateway)},"nodes":${h.nodesJson},"keys":${h.keysJson},${restJson}}`;
  const version = `v-${createHash('sha256').update(json).digest('hex').slice(0, 16)}`;
  const snapshot: Snapshot = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    version,
    ...(source ? { source } : {}),
    gateway,
    nodes: h.nodes,
    keys: h.keys,
    ...rest,
  };
  bodyJson.set(snapshot, json);
  return snapshot;
}

/** Recomputes a snapshot's content version (to verify a pushed snapshot was not altered). */
export function versionOf(snapshot: Snapshot): string {
  const { version: _v, source: _s, ...body } = snapshot;
  return contentVersion(body);
}

/** JSON text of a snapshot, reusing the compile's serialization when available. */
export function serializeSnapshot(snapshot: Snapshot): string {
  const body = bodyJson.get(snapshot);
  if (body === undefined) return JSON.stringify(snapshot);
  const head = `{"schemaVersion":${snapshot.schemaVersion},"version":${JSON.stringify(snapshot.version)}${snapshot.source ? `,"source":${JSON.stringify(snapshot.source)}` : ''},`;
  return head + body.slice(`{"schemaVersion":${snapshot.schemaVersion},`.length);
}
