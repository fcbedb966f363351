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

/**
 * Two generations of plain Maps rather than WeakMaps: V8's GC pays per WeakMap entry
 * (ephemerons), which dominated a 10k-key compile. Entries not used by a compile are dropped
 * when `endCompile` rotates the generations.
 */
export class BuildCache {
  private prevNodes = new Map<object, CachedNode>();
  private prevKeys = new Map<KeyDoc, CachedKey>();
  private nextNodes = new Map<object, CachedNode>();
  private nextKeys = new Map<KeyDoc, CachedKey>();

  getNode(doc: object): CachedNode | undefined {
    return this.nextNodes.get(doc) ?? this.prevNodes.get(doc);
  }

  setNode(doc: object, entry: CachedNode): void {
    this.nextNodes.set(doc, entry);
  }

  getKey(doc: KeyDoc): CachedKey | undefined {
    return this.nextKeys.get(doc) ?? this.prevKeys.get(doc);
  }

  setKey(doc: KeyDoc, entry: CachedKey): void {
    this.nextKeys.set(doc, entry);
  }

  endCompile(): void {
    this.prevNodes = this.nextNodes;
    this.prevKeys = this.nextKeys;
    this.nextNodes = new Map();
    this.nextKeys = new Map();
  }
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
