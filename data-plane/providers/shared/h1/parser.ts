/**
 * Incremental HTTP/1.1 response parser: status line, headers, then the body framed by
 * Content-Length, `Transfer-Encoding: chunked` (extensions ignored, trailers read and dropped) or
 * the end of the connection. Input may be split at any byte; interim 1xx responses are skipped.
 * Body bytes are handed out as views of the socket's buffers (no copy). Anything that is not valid
 * HTTP/1.1 throws an H1Error — the connection is then unusable and is destroyed by its owner.
 */
import type { HeaderBag } from '../errors.js';
import { H1Error, parseError } from './errors.js';
import { HeadBuffer } from './head-buffer.js';

export interface ResponseHead {
  status: number;
  headers: HeaderBag;
  /** The connection may carry another request after this response. */
  keepAlive: boolean;
  /** From `Keep-Alive: timeout=N` (ms), or null. */
  keepAliveMs: number | null;
}

export interface ParserEvents {
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

enum State {
  Head = 0,
  Length = 1,
  ChunkSize = 2,
  ChunkData = 3,
  ChunkDataEnd = 4,
  Trailers = 5,
  Eof = 6,
  Done = 7,
}

/** Status line and header lines together (and, separately, a chunked body's trailers). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line with its extensions. */
const MAX_CHUNK_LINE = 4 * 1024;
const LF = 0x0a;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEX = /^[0-9A-Fa-f]{1,13}$/;
const DIGITS = /^\d{1,15}$/;
const CLOSE = /(?:^|,)\s*close\s*(?:,|$)/i;
const KEEP_ALIVE = /(?:^|,)\s*keep-alive\s*(?:,|$)/i;
const KA_TIMEOUT = /(?:^|[,\s])timeout\s*=\s*(\d+)/i;

export class ResponseParser {
  private state = State.Head;
  private readonly acc = new HeadBuffer();
  private remaining = 0;
  private trailerBytes = 0;
  private noBody = false;
  /** Set by stop(): callbacks must not continue (the owner gave up on the response). */
  private stopped = false;
  keepAlive = true;

  constructor(private readonly events: ParserEvents) {}

  /** Prepares for the next response; `noBody` for a HEAD request. */
  reset(noBody: boolean): void {
    this.state = State.Head;
    this.acc.clear();
    this.remaining = 0;
    this.trailerBytes = 0;
    this.noBody = noBody;
    this.stopped = false;
    this.keepAlive = true;
  }

  /** Stops delivering events for the current buffer (abort from inside a callback). */
  stop(): void {
    this.stopped = true;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** True when the response is read to the end of the connection (no length, not chunked). */
  get closeDelimited(): boolean {
    return this.state === State.Eof;
  }

  /**
   * Parses `buf` from `pos`; returns where it stopped: `buf.length`, or the end of the response
   * when it completed inside `buf` (the bytes after it are not part of this response).
   */
  execute(buf: Buffer, pos = 0): number {
    const len = buf.length;
    while (pos < len && !this.stopped) {
      switch (this.state) {
        case State.Head:
          pos = this.readHead(buf, pos);
          break;
        case State.Length: {
          const n = Math.min(this.remaining, len - pos);
          this.remaining -= n;
          this.events.onBody(n === len && pos === 0 ? buf : buf.subarray(pos, pos + n));
          pos += n;
          if (this.remaining === 0 && !this.stopped) this.complete();
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, len - pos);
          this.remaining -= n;
          this.events.onBody(buf.subarray(pos, pos + n));
          pos += n;
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          break;
        }
        case State.ChunkSize:
        case State.ChunkDataEnd:
        case State.Trailers:
          pos = this.readChunkLine(buf, pos);
          break;
        case State.Eof:
          this.events.onBody(pos === 0 ? buf : buf.subarray(pos));
          pos = len;
          break;
        case State.Done:
          return pos;
      }
    }
    return pos;
  }

  /** The connection ended. Completes a close-delimited body; anything else was cut short. */
  finish(): void {
    if (this.state === State.Eof) {
      this.complete();
      return;
    }
    if (this.state === State.Done) return;
    const started = this.state !== State.Head || this.acc.length > 0;
    throw new H1Error(
      'H1_SOCKET_CLOSED',
      started ? 'upstream closed the connection mid-response' : 'upstream closed the connection before responding',
    );
  }

  private complete(): void {
    this.state = State.Done;
    this.events.onComplete();
  }

  private readHead(buf: Buffer, pos: number): number {
    const acc = this.acc;
    let head: string;
    let next: number;
    if (acc.length === 0) {
      const end = findHeadEnd(buf, pos);
      if (end === -1) {
        if (buf.length - pos > MAX_HEAD_BYTES) throw tooLarge();
        acc.append(buf, pos);
        return buf.length;
      }
      if (end - pos > MAX_HEAD_BYTES) throw tooLarge();
      head = buf.toString('latin1', pos, end);
      next = end + (buf[end] === LF ? 2 : buf[end + 2] === LF && buf[end + 1] === LF ? 3 : 4);
    } else {
      const before = acc.length;
      acc.append(buf, pos);
      const end = findHeadEnd(acc.view(), Math.max(0, before - 3));
      if (end === -1) {
        if (acc.length > MAX_HEAD_BYTES) throw tooLarge();
        return buf.length;
      }
      if (end > MAX_HEAD_BYTES) throw tooLarge();
      const all = acc.view();
      head = all.toString('latin1', 0, end);
      const termLen = all[end] === LF ? 2 : all[end + 2] === LF && all[end + 1] === LF ? 3 : 4;
      // The terminator ends inside `buf`: continue right after it.
      next = pos + (end + termLen - before);
      acc.clear();
    }
    this.onHeadText(head);
    return next;
  }

  private onHeadText(text: string): void {
    const lines = text.split('\n');
    const statusLine = stripCr(lines[0]!);
    const m = STATUS_LINE.exec(statusLine);
    if (m === null) throw parseError(`invalid status line: ${JSON.stringify(statusLine.slice(0, 100))}`);
    const status = Number(m[2]);
    const http10 = m[1] === '0';
    const headers: HeaderBag = Object.create(null);
    for (let i = 1; i < lines.length; i++) {
      const line = stripCr(lines[i]!);
      const colon = line.indexOf(':');
      if (colon <= 0) throw parseError(`invalid header line: ${JSON.stringify(line.slice(0, 100))}`);
      const rawName = line.slice(0, colon);
      if (!TOKEN.test(rawName)) throw parseError(`invalid header name: ${JSON.stringify(rawName.slice(0, 100))}`);
      const name = rawName.toLowerCase();
      const value = trimOws(line.slice(colon + 1));
      const prev = headers[name];
      if (prev === undefined) headers[name] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else headers[name] = [prev, value];
    }
    if (status < 200) {
      // 100 Continue, 102, 103 Early Hints: interim, the final response follows. 101 was never asked for.
      if (status === 101) throw parseError('unexpected 101 Switching Protocols');
      return; // state stays Head
    }
    this.onFinalHead(status, headers, http10);
  }

  private onFinalHead(status: number, headers: HeaderBag, http10: boolean): void {
    const connection = joined(headers.connection);
    let keepAlive = http10 ? connection !== undefined && KEEP_ALIVE.test(connection) : true;
    if (connection !== undefined && CLOSE.test(connection)) keepAlive = false;
    let keepAliveMs: number | null = null;
    const ka = joined(headers['keep-alive']);
    if (ka !== undefined) {
      const t = KA_TIMEOUT.exec(ka);
      if (t) keepAliveMs = Number(t[1]) * 1000;
    }
    const te = joined(headers['transfer-encoding']);
    const cl = headers['content-length'];
    let next: State;
    if (this.noBody || status === 204 || status === 304) {
      next = State.Done;
    } else if (te !== undefined) {
      const codings = te.split(',');
      const last = codings[codings.length - 1]!.trim().toLowerCase();
      if (last === 'chunked') next = State.ChunkSize;
      else {
        next = State.Eof;
        keepAlive = false;
      }
      // Both framings sent: Transfer-Encoding wins, and the connection is not trusted afterwards.
      if (cl !== undefined) keepAlive = false;
    } else if (cl !== undefined) {
      this.remaining = contentLength(cl);
      next = this.remaining === 0 ? State.Done : State.Length;
    } else {
      next = State.Eof;
      keepAlive = false;
    }
    this.keepAlive = keepAlive;
    this.state = next === State.Done ? State.Length : next;
    this.events.onHead({ status, headers, keepAlive, keepAliveMs });
    if (next === State.Done && !this.stopped) this.complete();
  }

  /** Chunk-size lines, the CRLF after chunk data, and trailer lines. */
  private readChunkLine(buf: Buffer, pos: number): number {
    const acc = this.acc;
    const nl = buf.indexOf(LF, pos);
    let line: string;
    if (nl === -1) {
      acc.append(buf, pos);
      this.checkLineSize(acc.length);
      return buf.length;
    }
    if (acc.length === 0) {
      this.checkLineSize(nl - pos);
      line = buf.toString('latin1', pos, nl);
    } else {
      acc.append(buf, pos, nl);
      this.checkLineSize(acc.length);
      line = acc.view().toString('latin1', 0, acc.length);
      acc.clear();
    }
    line = stripCr(line);
    this.onChunkLine(line);
    return nl + 1;
  }

  private checkLineSize(n: number): void {
    if (this.state === State.Trailers) {
      if (this.trailerBytes + n > MAX_HEAD_BYTES) throw tooLarge();
    } else if (n > MAX_CHUNK_LINE) throw parseError('chunk size line too long');
  }

  private onChunkLine(line: string): void {
    switch (this.state) {
      case State.ChunkSize: {
        const semi = line.indexOf(';');
        const size = trimOws(semi === -1 ? line : line.slice(0, semi));
        if (!HEX.test(size)) throw parseError(`invalid chunk size: ${JSON.stringify(size.slice(0, 40))}`);
        const n = Number.parseInt(size, 16);
        if (n === 0) this.state = State.Trailers;
        else {
          this.remaining = n;
          this.state = State.ChunkData;
        }
        return;
      }
      case State.ChunkDataEnd:
        if (line !== '') throw parseError('chunk data not followed by CRLF');
        this.state = State.ChunkSize;
        return;
      default:
        // Trailers: read and dropped (nothing upstream of us sends any we use); an empty line ends them.
        if (line === '') this.complete();
        else this.trailerBytes += line.length + 2;
    }
  }
}

/** Index of the blank line ending the head (at its first CR/LF), or -1. Accepts CRLF and bare LF. */
function findHeadEnd(buf: Buffer, from: number): number {
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  const lf = buf.indexOf('\n\n', from, 'latin1');
  if (lf !== -1 && (crlf === -1 || lf < crlf)) return buf[lf - 1] === 0x0d && lf - 1 >= from ? lf - 1 : lf;
  return crlf;
}

function stripCr(s: string): string {
  return s.charCodeAt(s.length - 1) === 0x0d ? s.slice(0, -1) : s;
}

/** Trims optional whitespace (SP / HTAB) only. */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function joined(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Content-Length: repeated or comma-listed values must all agree (RFC 9110 §8.6). */
function contentLength(v: string | string[]): number {
  const values = (Array.isArray(v) ? v.join(',') : v).split(',');
  let n = -1;
  for (const raw of values) {
    const s = trimOws(raw);
    if (!DIGITS.test(s)) throw parseError(`invalid content-length: ${JSON.stringify(s.slice(0, 40))}`);
    const x = Number(s);
    if (n !== -1 && x !== n) throw parseError('conflicting content-length values');
    n = x;
  }
  return n;
}

function tooLarge(): H1Error {
  return new H1Error('H1_HEADERS_TOO_LARGE', `upstream response head exceeds ${MAX_HEAD_BYTES} bytes`);
}
