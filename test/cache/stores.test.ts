import { describe, expect, it } from 'vitest';
import type { ChatResponse } from '../../common/openai-types.js';
import { normalizeInPlace } from '../../data-plane/cache/embedders/types.js';
import { type CacheEntry, entryBytes } from '../../data-plane/cache/entry.js';
import { exactKey, idPrefix } from '../../data-plane/cache/exact/key.js';
import { MemoryExactStore } from '../../data-plane/cache/exact/memory-store.js';
import { ScanIndex } from '../../data-plane/cache/vector-index/scan-index.js';
import type { SemanticItem, VectorIndex } from '../../data-plane/cache/vector-index/types.js';
import { UsearchIndex } from '../../data-plane/cache/vector-index/usearch-index.js';
import { textResponse } from './helpers.js';

function entry(i: number, ns = 'team:alpha', route = 'gpt-test', text = 'x'.repeat(200)): CacheEntry {
  const key = exactKey('chat', ns, route, { model: route, messages: [{ role: 'user', content: `q${i}` }] });
  return {
    v: 1,
    id: key.id,
    kind: 'chat',
    namespace: ns,
    route,
    response: textResponse(text) as ChatResponse,
    usage: { promptTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 1, source: 'provider' },
    provider: 'fake',
    model: 'gpt-4o-mini',
    createdAt: 0,
    exactUntil: 1e15,
    expiresAt: 1e15,
  };
}

describe('in-memory exact store (LRU bounded in bytes)', () => {
  it('never exceeds its byte bound, evicts least recently used first, and counts evictions', async () => {
    const size = entryBytes(entry(0));
    const evicted: string[] = [];
    const store = new MemoryExactStore(size * 3 + 10, (r) => evicted.push(r));
    for (let i = 0; i < 3; i++) await store.set(entry(i), 60_000);
    await store.get(entry(0).id); // 0 is now most recently used
    await store.set(entry(3), 60_000);
    expect(await store.get(entry(1).id)).toBeNull();
    expect(await store.get(entry(0).id)).not.toBeNull();
    const stats = await store.stats();
    expect(stats.bytes).toBeLessThanOrEqual(stats.maxBytes!);
    expect(stats.entries).toBe(3);
    expect(stats.evictions).toBe(1);
    expect(evicted).toEqual(['size']);
  });

  it('expires by TTL and purges by namespace / route', async () => {
    let now = 1000;
    const store = new MemoryExactStore(
      1 << 20,
      () => {},
      () => now,
    );
    await store.set(entry(1), 500);
    now += 501;
    expect(await store.get(entry(1).id)).toBeNull();
    await store.set(entry(1, 'team:alpha', 'gpt-test'), 60_000);
    await store.set(entry(2, 'team:alpha', 'gpt-other'), 60_000);
    await store.set(entry(3, 'team:beta', 'gpt-test'), 60_000);
    expect(await store.purge(idPrefix('team:alpha', 'gpt-other'))).toBe(1);
    expect(await store.purge(idPrefix(null, 'gpt-test'))).toBe(2);
    expect((await store.stats()).entries).toBe(0);
  });

  it('does not store an entry larger than the whole cache', async () => {
    const store = new MemoryExactStore(100);
    await store.set(entry(1), 60_000);
    expect((await store.stats()).entries).toBe(0);
  });
});

function randomUnit(seed: number, dims: number): Float32Array {
  let x = seed * 2654435761 || 1;
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = ((x >>> 0) / 0xffffffff) * 2 - 1;
  }
  return normalizeInPlace(v);
}

const item = (id: string, scope: string, over: Partial<SemanticItem> = {}): SemanticItem => ({
  id,
  entryId: `e-${id}`,
  scope,
  namespace: 'team:alpha',
  route: 'gpt-test',
  facts: { entities: [], quantities: [], dates: [], units: [], negations: 0 },
  createdAt: 0,
  expiresAt: 1e15,
  ...over,
});

describe.each([
  ['scan', (evict: () => void) => new ScanIndex(16, 50, evict)],
  ['usearch', (evict: () => void) => new UsearchIndex(16, 50, evict)],
] as Array<[string, (evict: () => void) => VectorIndex]>)('%s vector index', (_name, make) => {
  it('finds the nearest vector inside the scope only', async () => {
    const index = make(() => {});
    for (let i = 0; i < 40; i++) await index.add(item(`a${i}`, 'scope-a'), randomUnit(i + 1, 16));
    await index.add(item('b0', 'scope-b'), randomUnit(5, 16));
    const hits = await index.search('scope-a', randomUnit(5, 16), 3, 0);
    expect(hits[0]!.item.id).toBe('a4');
    expect(hits[0]!.score).toBeCloseTo(1, 4);
    expect(hits.every((h) => h.item.scope === 'scope-a')).toBe(true);
    expect((await index.search('scope-b', randomUnit(5, 16), 3, 0)).map((h) => h.item.id)).toEqual(['b0']);
    expect(await index.search('scope-c', randomUnit(5, 16), 3, 0)).toEqual([]);
  });

  it('returns the exact top-k on large partitions (native SIMD scan path) like a brute-force loop', async () => {
    const index = make(() => {});
    const vectors: Float32Array[] = [];
    for (let i = 0; i < 45; i++) {
      vectors.push(randomUnit(i + 101, 16));
      await index.add(item(`p${i}`, 'big'), vectors[i]!);
    }
    const q = randomUnit(7777, 16);
    const brute = vectors
      .map((v, i) => ({ id: `p${i}`, s: v.reduce((acc, x, j) => acc + x * q[j]!, 0) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 3);
    const hits = await index.search('big', q, 3, 0);
    expect(hits.map((h) => h.item.id)).toEqual(brute.map((b) => b.id));
    expect(hits.map((h) => h.score.toFixed(4))).toEqual(brute.map((b) => b.s.toFixed(4)));
  });

  it('is bounded (oldest evicted), skips expired items, removes by entry and purges', async () => {
    let evictions = 0;
    const index = make(() => evictions++);
    for (let i = 0; i < 55; i++)
      await index.add(item(`a${i}`, 's', { expiresAt: i === 54 ? 10 : 1e15 }), randomUnit(i + 1, 16));
    expect(await index.size()).toBe(50);
    expect(evictions).toBe(5);
    expect((await index.search('s', randomUnit(1, 16), 1, 0))[0]?.item.id).not.toBe('a0');
    expect((await index.search('s', randomUnit(55, 16), 1, 100))[0]?.item.id).not.toBe('a54');
    expect(await index.sweep(100)).toBe(1);
    expect(await index.removeEntry('e-a10')).toBe(1);
    expect((await index.search('s', randomUnit(11, 16), 1, 0))[0]?.item.id).not.toBe('a10');
    expect(await index.purge({ namespace: 'team:alpha', route: null })).toBe(48);
    expect(await index.size()).toBe(0);
  });
});

describe('scan index above the native-scan threshold', () => {
  it('agrees with a brute-force loop on 600 vectors and filters expired rows', async () => {
    const index = new ScanIndex(16, 10_000);
    const vectors: Float32Array[] = [];
    for (let i = 0; i < 600; i++) {
      vectors.push(randomUnit(i + 1, 16));
      await index.add(item(`n${i}`, 'big', { expiresAt: i % 2 === 0 ? 1e15 : 5 }), vectors[i]!);
    }
    const q = randomUnit(4242, 16);
    const brute = vectors
      .map((v, i) => ({ i, s: v.reduce((acc, x, j) => acc + x * q[j]!, 0) }))
      .filter(({ i }) => i % 2 === 0)
      .sort((a, b) => b.s - a.s)
      .slice(0, 3);
    const hits = await index.search('big', q, 3, 10);
    expect(hits.map((h) => h.item.id)).toEqual(brute.map((b) => `n${b.i}`));
    expect(hits.map((h) => h.score.toFixed(4))).toEqual(brute.map((b) => b.s.toFixed(4)));
  });
});
