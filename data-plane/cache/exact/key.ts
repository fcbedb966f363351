import type { ChatRequest, EmbeddingsRequest } from '../../../common/openai-types.js';
import { canonicalJson, sha256Hex, shortTag } from '../canonical.js';

/**
 * Body fields that never change the answer. Everything else — including fields this gateway does
 * not know (provider-specific extras, new reasoning knobs) — is part of the key: a missing
 * parameter serves a wrong answer, an extra one only costs a miss.
 */
export const NON_SEMANTIC_FIELDS: ReadonlySet<string> = new Set([
  'model', // replaced by the resolved route name
  'stream',
  'stream_options',
  'user',
  'metadata',
  'store',
  'service_tier',
  'prompt_cache_key',
  'safety_identifier',
]);

export type CacheKind = 'chat' | 'embeddings';

/** The request body without the fields that cannot change the answer. */
export function semanticBody(body: ChatRequest | EmbeddingsRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v !== undefined && !NON_SEMANTIC_FIELDS.has(k)) out[k] = v;
  }
  return out;
}

export interface ExactKey {
  /** Entry id: "<namespace tag>-<route tag>-<sha256>"; the tags let purges match by prefix. */
  id: string;
  namespace: string;
  route: string;
}

/** SHA-256 over the canonical encoding of namespace, route, kind and every semantic body field. */
export function exactKey(
  kind: CacheKind,
  namespace: string,
  route: string,
  body: ChatRequest | EmbeddingsRequest,
): ExactKey {
  const hash = sha256Hex(canonicalJson({ v: 1, kind, ns: namespace, route, body: semanticBody(body) }));
  return { id: `${shortTag(namespace)}-${shortTag(route)}-${hash}`, namespace, route };
}

/** The id prefix that matches every entry of a namespace (and optionally one route in it). */
export function idPrefix(namespace: string | null, route: string | null): { ns: string | null; route: string | null } {
  return { ns: namespace === null ? null : shortTag(namespace), route: route === null ? null : shortTag(route) };
}

export function idMatches(id: string, match: { ns: string | null; route: string | null }): boolean {
  const [ns, route] = id.split('-', 2);
  return (match.ns === null || ns === match.ns) && (match.route === null || route === match.route);
}
