/** OpenAI's `encoding_format: "base64"`: the vector as little-endian float32 bytes, base64-encoded. */
export function encodeEmbedding(values: number[], format: 'float' | 'base64' | undefined): number[] | string {
  if (format !== 'base64') return values;
  const f32 = new Float32Array(values);
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
}
