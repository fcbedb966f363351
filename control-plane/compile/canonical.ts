import { createHash } from 'node:crypto';

/** A copy of a string-keyed map with keys in code-point order, so YAML key order never matters. */
export function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  const list = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Record<string, T> = {};
  for (const [k, v] of list) out[k] = v;
  return out;
}

export function sortedMap<T>(obj: Record<string, T> | undefined): Record<string, T> {
  return obj ? sortedRecord(Object.entries(obj)) : {};
}

/**
 * Content version of a snapshot body. The body is built with a fixed field order and sorted
 * maps, so JSON.stringify is canonical and this needs no second sorting pass.
 */
export function contentVersion(body: unknown): string {
  return `v-${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16)}`;
}
