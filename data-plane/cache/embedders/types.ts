/** Turns text into a vector; implementations return L2-normalized Float32 vectors. */
export interface Embedder {
  /** Stable description used to keep vectors of different embedders apart (e.g. "offline:wink-sg-100d"). */
  readonly id: string;
  readonly dimensions: number;
  embed(text: string): Promise<Float32Array>;
  close?(): Promise<void>;
}

/** Scales `v` in place to unit length (a zero vector stays zero). */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
