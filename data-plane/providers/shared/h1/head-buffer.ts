/**
 * A growable byte accumulator for a response head (or a chunk-size/trailer line) that arrives
 * split across socket reads. Capacity doubles, so a head dribbled in one byte at a time costs
 * O(n) copies, not O(n²); the socket's own buffers are never retained.
 */
const EMPTY = Buffer.alloc(0);

export class HeadBuffer {
  private buf: Buffer = EMPTY;
  length = 0;

  /** Appends `src[start, end)`. */
  append(src: Buffer, start: number, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    const need = this.length + n;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, 256));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    src.copy(this.buf, this.length, start, end);
    this.length = need;
  }

  /** The bytes accumulated so far (a view, valid until the next append/clear). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
    // Let a large head's memory go; keep a small buffer for the next split.
    if (this.buf.length > 4096) this.buf = EMPTY;
  }
}
