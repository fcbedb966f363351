import type { CachePolicyRecord, KeyRecord } from '../../common/snapshot.js';

/**
 * The namespace a request's cache entries live in. Entries are only ever found inside one
 * namespace, so this is what isolates tenants: by default each team has its own; a policy may
 * widen it to the org or a named shared namespace, or narrow it to a single key.
 */
export function cacheNamespace(policy: CachePolicyRecord, key: KeyRecord): string {
  const scope = policy.scope;
  if (typeof scope === 'object') return `shared:${scope.shared}`;
  switch (scope) {
    case 'org':
      return `org:${key.org}`;
    case 'key':
      return `key:${key.name}`;
    default:
      return `team:${key.team}`;
  }
}
