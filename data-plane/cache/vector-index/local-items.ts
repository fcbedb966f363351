import type { SemanticItem } from './types.js';

/**
 * Bookkeeping shared by the in-process indexes: items by id, items by entry, insertion order
 * (for bounded size, oldest evicted first).
 */
export class LocalItems {
  readonly byId = new Map<string, SemanticItem>();
  private readonly byEntry = new Map<string, Set<string>>();

  add(item: SemanticItem): void {
    this.byId.set(item.id, item);
    let ids = this.byEntry.get(item.entryId);
    if (!ids) {
      ids = new Set();
      this.byEntry.set(item.entryId, ids);
    }
    ids.add(item.id);
  }

  delete(id: string): SemanticItem | null {
    const item = this.byId.get(id);
    if (!item) return null;
    this.byId.delete(id);
    const ids = this.byEntry.get(item.entryId);
    ids?.delete(id);
    if (ids && ids.size === 0) this.byEntry.delete(item.entryId);
    return item;
  }

  idsOfEntry(entryId: string): string[] {
    return [...(this.byEntry.get(entryId) ?? [])];
  }

  /** The oldest item id (Map iteration follows insertion order). */
  oldest(): string | null {
    const first = this.byId.keys().next();
    return first.done ? null : first.value;
  }

  matching(match: { namespace: string | null; route: string | null }): string[] {
    const out: string[] = [];
    for (const item of this.byId.values()) {
      if (
        (match.namespace === null || item.namespace === match.namespace) &&
        (match.route === null || item.route === match.route)
      ) {
        out.push(item.id);
      }
    }
    return out;
  }

  expired(now: number): string[] {
    const out: string[] = [];
    for (const item of this.byId.values()) if (item.expiresAt <= now) out.push(item.id);
    return out;
  }
}

/**
 * What the in-process indexes (exact scan, usearch) share: bulk removals resolved through the
 * item table, each item then removed by the index's own `remove`.
 */
export abstract class LocalIndexBase {
  protected readonly items = new LocalItems();

  abstract remove(id: string): Promise<void>;

  async removeEntry(entryId: string): Promise<number> {
    return this.removeAll(this.items.idsOfEntry(entryId));
  }

  async purge(match: { namespace: string | null; route: string | null }): Promise<number> {
    return this.removeAll(this.items.matching(match));
  }

  async sweep(now: number): Promise<number> {
    return this.removeAll(this.items.expired(now));
  }

  async size(): Promise<number> {
    return this.items.byId.size;
  }

  private async removeAll(ids: string[]): Promise<number> {
    for (const id of ids) await this.remove(id);
    return ids.length;
  }
}
