/** Qdrant vector index against a real server; runs only when QDRANT_URL is set (none can be installed here). */
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeInPlace } from '../../data-plane/cache/embedders/types.js';
import { QdrantIndex } from '../../data-plane/cache/vector-index/qdrant-index.js';
import type { SemanticItem } from '../../data-plane/cache/vector-index/types.js';
import { TEST_QDRANT_URL } from '../helpers/services.js';

const vec = (...xs: number[]) => normalizeInPlace(Float32Array.from([...xs, ...new Array(8 - xs.length).fill(0)]));
const item = (id: string, scope: string, over: Partial<SemanticItem> = {}): SemanticItem => ({
  id,
  entryId: `e-${id}`,
  scope,
  namespace: 'team:alpha',
  route: 'gpt-test',
  facts: { entities: ['paris'], quantities: [], dates: [], units: [], negations: 0 },
  createdAt: 1,
  expiresAt: 1e13,
  ...over,
});

describe.skipIf(!TEST_QDRANT_URL)('Qdrant vector index', () => {
  const prefix = `sluice_test_${process.pid}_${Date.now().toString(36)}`;
  afterAll(async () => {
    if (TEST_QDRANT_URL)
      await new QdrantClient({ url: TEST_QDRANT_URL, checkCompatibility: false }).deleteCollection(`${prefix}_8d`);
  });

  it('filters by scope and expiry, keeps payload, deletes by entry, namespace and expiry', async () => {
    const index = await QdrantIndex.open(TEST_QDRANT_URL!, 8, prefix);
    await index.add(item('a', 's1'), vec(1, 0));
    await index.add(item('b', 's1', { expiresAt: 5 }), vec(1, 0.01));
    await index.add(item('c', 's2', { namespace: 'team:beta' }), vec(1, 0));
    const hits = await index.search('s1', vec(1, 0), 5, 10);
    expect(hits.map((h) => h.item.id)).toEqual(['a']);
    expect(hits[0]!.score).toBeCloseTo(1, 4);
    expect(hits[0]!.item).toEqual(item('a', 's1'));
    expect(await index.sweep(10)).toBe(1);
    expect(await index.removeEntry('e-a')).toBe(1);
    expect(await index.purge({ namespace: 'team:beta', route: null })).toBe(1);
    expect(await index.size()).toBe(0);
  });
});
