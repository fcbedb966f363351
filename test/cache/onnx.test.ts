/**
 * The ONNX embedder path with a tiny real-architecture BERT generated here (random weights): the
 * model loads offline through @huggingface/transformers, runs feature extraction, and our pooling
 * and normalization give deterministic unit vectors of the model's hidden size.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxEmbedder } from '../../data-plane/cache/embedders/onnx.js';
import { dot } from '../../data-plane/cache/embedders/types.js';
import { cachePolicy, type Harness, stageHarness, user } from './helpers.js';
import { TINY, writeTinyBert } from './tiny-bert.js';

describe('ONNX embedder (tiny generated BERT)', () => {
  let dir: string;
  let modelPath: string;
  let mean: OnnxEmbedder;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-tiny-bert-'));
    modelPath = join(dir, 'tiny-bert');
    await writeTinyBert(modelPath);
    mean = await OnnxEmbedder.load({ modelPath, allowRemote: false, pooling: 'mean', normalize: true });
  }, 60_000);
  afterAll(async () => {
    await mean?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

  it('loads offline and produces unit vectors of the hidden size', async () => {
    expect(mean.dimensions).toBe(TINY.hidden);
    const v = await mean.embed('How do I reset my password?');
    expect(v).toBeInstanceOf(Float32Array);
    expect(v.length).toBe(TINY.hidden);
    expect(norm(v)).toBeCloseTo(1, 5);
  });

  it('is deterministic across calls and loads', async () => {
    const again = await OnnxEmbedder.load({ modelPath, allowRemote: false, pooling: 'mean', normalize: true });
    const a = await mean.embed('what is the weather in paris today?');
    const b = await mean.embed('what is the weather in paris today?');
    const c = await again.embed('what is the weather in paris today?');
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a));
    expect(dot(a, await mean.embed('cancel my subscription'))).toBeLessThan(0.9999);
    await again.close();
  });

  it('mean and CLS pooling match the token embeddings the model returns', async () => {
    env.allowRemoteModels = false;
    env.localModelPath = `${dir}/`;
    const raw = await pipeline('feature-extraction', 'tiny-bert', { dtype: 'fp32', local_files_only: true });
    const text = 'can you reset my email?';
    const tokens = await raw(text, { pooling: 'none', normalize: false });
    const [, seq, hidden] = tokens.dims as number[];
    const data = tokens.data as Float32Array;
    const manualMean = new Float32Array(hidden!);
    for (let t = 0; t < seq!; t++) for (let j = 0; j < hidden!; j++) manualMean[j]! += data[t * hidden! + j]! / seq!;
    const m = await mean.embed(text);
    const mn = norm(manualMean);
    for (let j = 0; j < hidden!; j++) expect(m[j]).toBeCloseTo(manualMean[j]! / mn, 5);

    // CLS pooling with the model's own normalization off: we still return a unit vector.
    const cls = await OnnxEmbedder.load({ modelPath, allowRemote: false, pooling: 'cls', normalize: false });
    const c = await cls.embed(text);
    const first = data.slice(0, hidden!);
    const fn = norm(first);
    expect(norm(c)).toBeCloseTo(1, 5);
    for (let j = 0; j < hidden!; j++) expect(c[j]).toBeCloseTo(first[j]! / fn, 5);
    await cls.close();
    await raw.dispose();
  });

  it('refuses a missing folder when remote models are not allowed', async () => {
    await expect(
      OnnxEmbedder.load({ modelPath: join(dir, 'nope'), allowRemote: false, pooling: 'mean', normalize: true }),
    ).rejects.toThrow(/does not exist/);
  });

  describe('as the semantic tier’s embedder', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await stageHarness(
        cachePolicy({
          exact: { enabled: false, ttlMs: 0 },
          semantic: {
            enabled: true,
            threshold: 0.99,
            embedder: { type: 'onnx', modelPath, allowRemote: false, pooling: 'mean', normalize: true },
            ttlMsByContentType: { default: 60_000 },
            maxMessages: 3,
          },
        }),
      );
    }, 60_000);
    afterAll(() => h.close());

    it('serves a semantic hit found with ONNX vectors', async () => {
      const first = await h.run({ messages: [user('how do i change my password?')] });
      expect(first.ctx.meta.cacheTier).toBe('miss');
      await h.settle();
      const second = await h.run({ messages: [user('how do i change my password?')] });
      expect(second.ctx.meta.cacheTier).toBe('hit-semantic');
      expect(second.ctx.meta.cacheSimilarity).toBeGreaterThan(0.999);
      expect(h.calls).toHaveLength(1);
      const stats = await h.stage.service.stats();
      expect(stats.semantic.indexes).toEqual([{ dims: TINY.hidden, kind: 'scan', items: 1 }]);
    });
  });
});
