/**
 * Per-document build results kept between compiles. The loader reuses the parsed document
 * objects of unchanged files, so a record built from the same document objects (and, for keys,
 * the same team, org and set of route names) is reused together with its JSON text: a
 * one-file recompile of a 10k-key config rebuilds and re-serializes only what changed.
 */
import type { BudgetNode, KeyRecord } from '../../common/snapshot.js';
import type { KeyDoc, OrganizationDoc, TeamDoc } from '../config/model.js';

export interface CachedNode {
  node: BudgetNode;
  json: string;
}

export interface CachedKey {
  team: TeamDoc;
  org: OrganizationDoc;
  routesKey: string;
  record: KeyRecord;
  json: string;
}

export class BuildCache {
  readonly nodes = new WeakMap<object, CachedNode>();
  readonly keys = new WeakMap<KeyDoc, CachedKey>();
}

/** JSON of a map whose entries are already serialized, in the given (sorted) order. */
export function joinJsonRecord(entries: readonly (readonly [string, string])[]): string {
  let out = '{';
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) out += ',';
    out += `${JSON.stringify(entries[i][0])}:${entries[i][1]}`;
  }
  return `${out}}`;
}
