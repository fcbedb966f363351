/**
 * Incremental Server-Sent Events parser working on raw byte chunks as they arrive from the
 * socket. Lines are found with Buffer#indexOf (native memchr), so a chunk costs one scan and
 * no per-byte JS work; only complete lines are decoded, so multi-byte UTF-8 characters split
 * across TCP chunks are never corrupted. Supports LF and CRLF line endings (every LLM provider
 * uses one of those), `event:`, multi-line `data:` and `:` comments; `id:`/`retry:` are ignored.
 */

export interface SseEvent {
  /** The `event:` field, or "message" when absent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

export class SseParser {
  private rest: Buffer = EMPTY;
  private event = '';
  /** The event's first `data:` line; the rest (rare) in `more`. */
  private data0 = '';
  private lines = 0;
  private more: string[] | null = null;

  /** Feeds one chunk; returns the events it completed (often zero or one). */
  push(chunk: Buffer | Uint8Array): SseEvent[] {
    const out: SseEvent[] = [];
    let buf: Buffer;
    if (this.rest.length > 0) {
      buf = Buffer.concat([this.rest, chunk]);
    } else {
      buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(LF, start);
      if (nl === -1) break;
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      this.line(buf, start, end, out);
      start = nl + 1;
    }
    // Keep the unfinished line (copied, so the socket's buffer can be released).
    this.rest = start >= buf.length ? EMPTY : Buffer.from(buf.subarray(start));
    return out;
  }

  /** Flushes an event left without its blank line at the end of the body (lenient, like browsers are not). */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.rest.length > 0) {
      const buf = this.rest;
      this.rest = EMPTY;
      const end = buf[buf.length - 1] === CR ? buf.length - 1 : buf.length;
      this.line(buf, 0, end, out);
    }
    this.dispatch(out);
    return out;
  }

  private line(buf: Buffer, start: number, end: number, out: SseEvent[]): void {
    if (end === start) {
      this.dispatch(out);
      return;
    }
    const first = buf[start];
    if (first === 0x3a /* ':' comment */) return;
    // The usual line, `data: …`: decode only the value (no line string, no slices).
    if (
      first === 0x64 /* d */ &&
      end - start >= 5 &&
      buf[start + 1] === 0x61 /* a */ &&
      buf[start + 2] === 0x74 /* t */ &&
      buf[start + 3] === 0x61 /* a */ &&
      buf[start + 4] === 0x3a /* : */
    ) {
      const from = start + 5 < end && buf[start + 5] === 0x20 ? start + 6 : start + 5;
      this.addData(buf.toString('utf8', from, end));
      return;
    }
    const line = buf.toString('utf8', start, end);
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'data') this.addData(value);
    else if (field === 'event') this.event = value;
  }

  private addData(value: string): void {
    if (this.lines === 0) this.data0 = value;
    else if (this.more === null) this.more = [value];
    else this.more.push(value);
    this.lines++;
  }

  private dispatch(out: SseEvent[]): void {
    if (this.lines === 0) {
      this.event = '';
      return;
    }
    const data = this.more === null ? this.data0 : `${this.data0}\n${this.more.join('\n')}`;
    out.push({ event: this.event || 'message', data });
    this.event = '';
    this.data0 = '';
    this.lines = 0;
    this.more = null;
  }
}
