/**
 * Qdrant-backed index for scale-out: every replica shares one semantic index.
 *
 * Design: one collection per vector dimension ("<prefix>_<dims>d", cosine distance) so that
 * embedders of the same size share storage; the embedder id is part of the scope hash, so vectors
 * of different embedders never meet. Each point is one SemanticItem:
 *   id       UUID derived from the item id (Qdrant wants a UUID or an integer)
 *   vector   the unit-length embedding
 *   payload  { scope, namespace, route, entry_id, item_id, facts, created_at, expires_at }
 * Keyword payload indexes on scope/namespace/route/entry_id and an integer index on expires_at
 * make the scope filter (must: scope = X, expires_at > now) part of the HNSW search, and make
 * purges (by namespace/route), feedback (by entry_id) and expiry sweeps single filtered deletes.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { sha256Hex } from '../canonical.js';
import type { PromptFacts } from '../semantic/guard.js';
import type { Neighbor, SemanticItem, VectorIndex } from './types.js';

interface Payload {
  scope: string;
  namespace: string;
  route: string;
  entry_id: string;
  item_id: string;
  facts: PromptFacts;
  created_at: number;
  expires_at: number;
}

function pointId(itemId: string): string {
  const h = sha256Hex(itemId);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

type Filter = { must: Array<Record<string, unknown>> };
const eq = (key: string, value: string) => ({ key, match: { value } });

export class QdrantIndex implements VectorIndex {
  readonly kind = 'qdrant' as const;

  private constructor(
    private readonly client: QdrantClient,
    private readonly collection: string,
  ) {}

  static async open(url: string, dims: number, prefix = 'sluice_cache'): Promise<QdrantIndex> {
    const client = new QdrantClient({ url, checkCompatibility: false });
    const collection = `${prefix}_${dims}d`;
    const { exists } = await client.collectionExists(collection);
    if (!exists) {
      try {
        await client.createCollection(collection, { vectors: { size: dims, distance: 'Cosine' } });
      } catch (err) {
        // Another replica may have created it between our check and create.
        if (!(await client.collectionExists(collection)).exists) throw err;
      }
      for (const field of ['scope', 'namespace', 'route', 'entry_id']) {
        await client.createPayloadIndex(collection, { field_name: field, field_schema: 'keyword', wait: true });
      }
      await client.createPayloadIndex(collection, { field_name: 'expires_at', field_schema: 'integer', wait: true });
    }
    return new QdrantIndex(client, collection);
  }

  async add(item: SemanticItem, vector: Float32Array): Promise<void> {
    const payload: Payload = {
      scope: item.scope,
      namespace: item.namespace,
      route: item.route,
      entry_id: item.entryId,
      item_id: item.id,
      facts: item.facts,
      created_at: item.createdAt,
      expires_at: item.expiresAt,
    };
    await this.client.upsert(this.collection, {
      wait: true,
      points: [
        { id: pointId(item.id), vector: Array.from(vector), payload: payload as unknown as Record<string, unknown> },
      ],
    });
  }

  async search(scope: string, vector: Float32Array, k: number, now: number): Promise<Neighbor[]> {
    const filter: Filter = { must: [eq('scope', scope), { key: 'expires_at', range: { gt: now } }] };
    const hits = await this.client.search(this.collection, {
      vector: Array.from(vector),
      limit: k,
      filter,
      with_payload: true,
    });
    return hits.map((h) => {
      const p = h.payload as unknown as Payload;
      return {
        score: h.score,
        item: {
          id: p.item_id,
          entryId: p.entry_id,
          scope: p.scope,
          namespace: p.namespace,
          route: p.route,
          facts: p.facts,
          createdAt: p.created_at,
          expiresAt: p.expires_at,
        },
      };
    });
  }

  private async deleteWhere(filter: Filter): Promise<number> {
    const { count } = await this.client.count(this.collection, { filter, exact: true });
    if (count > 0) await this.client.delete(this.collection, { wait: true, filter });
    return count;
  }

  async remove(id: string): Promise<void> {
    await this.client.delete(this.collection, { wait: true, points: [pointId(id)] });
  }

  removeEntry(entryId: string): Promise<number> {
    return this.deleteWhere({ must: [eq('entry_id', entryId)] });
  }

  purge(match: { namespace: string | null; route: string | null }): Promise<number> {
    const must: Filter['must'] = [];
    if (match.namespace !== null) must.push(eq('namespace', match.namespace));
    if (match.route !== null) must.push(eq('route', match.route));
    return this.deleteWhere({ must });
  }

  sweep(now: number): Promise<number> {
    return this.deleteWhere({ must: [{ key: 'expires_at', range: { lte: now } }] });
  }

  async size(): Promise<number> {
    return (await this.client.count(this.collection, { exact: true })).count;
  }

  async close(): Promise<void> {}
}
