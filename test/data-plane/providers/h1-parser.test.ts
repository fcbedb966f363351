/**
 * The h1 response parser on its own: every framing, fed whole, at every 2-way split and one byte
 * at a time, so a response split at any byte boundary by TCP is parsed the same.
 */
import { describe, expect, it } from 'vitest';
import type { HeaderBag } from '../../../data-plane/providers/shared/errors.js';
import { H1Error } from '../../../data-plane/providers/shared/h1/errors.js';
import { MAX_HEAD_BYTES, ResponseParser } from '../../../data-plane/providers/shared/h1/parser.js';

interface Parsed {
  heads: Array<{ status: number; headers: HeaderBag; keepAlive: boolean; keepAliveMs: number | null }>;
  body: string;
  complete: boolean;
  /** Where execute() stopped in the last buffer (the end of the response when it completed). */
  stoppedAt: number;
}

function parse(pieces: Buffer[], opts: { noBody?: boolean; eof?: boolean } = {}): Parsed {
  const out: Parsed = { heads: [], body: '', complete: false, stoppedAt: 0 };
  const bodyParts: Buffer[] = [];
  const p = new ResponseParser({
    onHead: (h) => out.heads.push(h),
    onBody: (c) => bodyParts.push(Buffer.from(c)),
    onComplete: () => {
      out.complete = true;
    },
  });
  p.reset(opts.noBody ?? false);
  for (const piece of pieces) {
    out.stoppedAt = p.execute(piece);
    if (out.complete) break;
  }
  if (opts.eof && !out.complete) p.finish();
  out.body = Buffer.concat(bodyParts).toString('utf8');
  return out;
}

const bytes = (s: string) => Buffer.from(s, 'utf8');
const oneByOne = (s: string) => [...bytes(s)].map((b) => Buffer.from([b]));
function allSplits(s: string): Buffer[][] {
  const b = bytes(s);
  const out: Buffer[][] = [];
  for (let i = 1; i < b.length; i++) out.push([b.subarray(0, i), b.subarray(i)]);
  return out;
}

/** Parses `raw` whole, one byte at a time and at every split; all must agree. */
function parseEverySplit(raw: string, opts: { eof?: boolean } = {}): Parsed {
  const whole = parse([bytes(raw)], opts);
  const single = parse(oneByOne(raw), opts);
  expect(single.body).toBe(whole.body);
  expect(single.heads).toEqual(whole.heads);
  expect(single.complete).toBe(whole.complete);
  for (const split of allSplits(raw)) {
    const r = parse(split, opts);
    expect(r.body).toBe(whole.body);
    expect(r.heads).toEqual(whole.heads);
  }
  return whole;
}

function parseError(raw: string | Buffer): H1Error {
  try {
    parse([typeof raw === 'string' ? bytes(raw) : raw], { eof: true });
  } catch (err) {
    expect(err).toBeInstanceOf(H1Error);
    return err as H1Error;
  }
  throw new Error('expected a parse error');
}

describe('h1 parser: framing', () => {
  it('Content-Length body, headers lower-cased, repeated headers as arrays', () => {
    const body = '{"ok":"été"}';
    const r = parseEverySplit(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Spaced:  spaced \t\r\n\r\n${body}`,
    );
    expect(r.complete).toBe(true);
    expect(r.body).toBe('{"ok":"été"}');
    expect(r.heads).toHaveLength(1);
    const h = r.heads[0]!;
    expect(h.status).toBe(200);
    expect(h.keepAlive).toBe(true);
    expect(h.headers['content-type']).toBe('application/json');
    expect(h.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(h.headers['x-spaced']).toBe('spaced');
  });

  it('chunked with extensions and trailers, multi-byte characters split across chunks', () => {
    const euro = Buffer.from('€', 'utf8'); // 3 bytes, split between two chunks
    const raw = Buffer.concat([
      bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value;q="x"\r\nhello\r\n'),
      bytes('2\r\n '),
      euro.subarray(0, 1),
      bytes('\r\n2 ; ext\r\n'),
      euro.subarray(1),
      bytes('\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n'),
    ]).toString('latin1');
    const pieces = (s: string) => Buffer.from(s, 'latin1');
    const whole = parse([pieces(raw)]);
    expect(whole.complete).toBe(true);
    expect(whole.body).toBe('hello €0123456789');
    const single = parse([...pieces(raw)].map((b) => Buffer.from([b])));
    expect(single.body).toBe('hello €0123456789');
    for (let i = 1; i < raw.length; i++) {
      const r = parse([pieces(raw.slice(0, i)), pieces(raw.slice(i))]);
      expect(r.body).toBe('hello €0123456789');
      expect(r.complete).toBe(true);
    }
  });

  it('close-delimited body: read to EOF, not reusable', () => {
    const r = parseEverySplit('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end', { eof: true });
    expect(r.complete).toBe(true);
    expect(r.body).toBe('until the end');
    expect(r.heads[0]!.keepAlive).toBe(false);
  });

  it('skips 100 Continue and 103 Early Hints arriving in the same packet as the answer', () => {
    const raw =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';
    const r = parseEverySplit(raw);
    expect(r.heads.map((h) => h.status)).toEqual([201]);
    expect(r.heads[0]!.headers.link).toBeUndefined();
    expect(r.body).toBe('ok');
  });

  it('stops at the end of the response: bytes after it are reported, not parsed', () => {
    const first = 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na';
    const r = parse([bytes(`${first}HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb`)]);
    expect(r.body).toBe('a');
    expect(r.stoppedAt).toBe(bytes(first).length);
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n';
    expect(parse([bytes(`${chunked}extra`)]).stoppedAt).toBe(chunked.length);
  });

  it('no body for 204, 304 and HEAD, and a zero Content-Length', () => {
    expect(parse([bytes('HTTP/1.1 204 No Content\r\n\r\n')]).complete).toBe(true);
    expect(parse([bytes('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')]).complete).toBe(true);
    expect(parse([bytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')], { noBody: true }).complete).toBe(true);
    expect(parse([bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')]).complete).toBe(true);
  });

  it('connection management: Connection: close, HTTP/1.0, Keep-Alive timeout hint, TE + CL', () => {
    const head = (s: string) => parse([bytes(`${s}\r\n\r\n`)]).heads[0]!;
    expect(head('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0').keepAlive).toBe(false);
    expect(head('HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 0').keepAlive).toBe(false);
    expect(head('HTTP/1.0 200 OK\r\nContent-Length: 0').keepAlive).toBe(false);
    expect(head('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0').keepAlive).toBe(true);
    expect(head('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0').keepAliveMs).toBe(5_000);
    const both = parse([
      bytes('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n'),
    ]);
    expect(both.body).toBe('x');
    expect(both.heads[0]!.keepAlive).toBe(false);
  });

  it('accepts bare LF line endings', () => {
    const r = parse([bytes('HTTP/1.1 200 OK\nContent-Length: 2\n\nhi')]);
    expect(r.body).toBe('hi');
  });
});

describe('h1 parser: errors', () => {
  it('malformed status lines and headers are H1_PARSE_ERROR', () => {
    expect(parseError('HTTP/2 200 OK\r\n\r\n').code).toBe('H1_PARSE_ERROR');
    expect(parseError('HTTP/1.1 20 OK\r\n\r\n').code).toBe('H1_PARSE_ERROR');
    expect(parseError('SSH-2.0-OpenSSH\r\n\r\n').code).toBe('H1_PARSE_ERROR');
    expect(parseError('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n').code).toBe('H1_PARSE_ERROR');
    expect(parseError('HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n').code).toBe('H1_PARSE_ERROR');
    expect(parseError('HTTP/1.1 200 OK\r\n folded: x\r\n\r\n').code).toBe('H1_PARSE_ERROR');
    expect(parseError('HTTP/1.1 101 Switching Protocols\r\n\r\n').code).toBe('H1_PARSE_ERROR');
  });

  it('bad framing is H1_PARSE_ERROR', () => {
    expect(parseError('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n').code).toBe('H1_PARSE_ERROR');
    expect(parseError('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab').code).toBe(
      'H1_PARSE_ERROR',
    );
    expect(parseError('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n').code).toBe('H1_PARSE_ERROR');
    expect(parseError('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n').code).toBe('H1_PARSE_ERROR');
  });

  it('a head over 64 KiB is H1_HEADERS_TOO_LARGE, whole or dribbled', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\nContent-Length: 0\r\n\r\n`;
    expect(parseError(big).code).toBe('H1_HEADERS_TOO_LARGE');
    let err: unknown = null;
    try {
      const b = bytes(big);
      const pieces: Buffer[] = [];
      for (let i = 0; i < b.length; i += 1000) pieces.push(b.subarray(i, i + 1000));
      parse(pieces);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'H1_HEADERS_TOO_LARGE' });
    // Oversized trailers too.
    const trailers = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${'b'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
    expect(parseError(trailers).code).toBe('H1_HEADERS_TOO_LARGE');
  });

  it('EOF mid-head, mid-body or mid-chunk is H1_SOCKET_CLOSED', () => {
    expect(parseError('HTTP/1.1 200 OK\r\nContent-Le').code).toBe('H1_SOCKET_CLOSED');
    expect(parseError('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab').code).toBe('H1_SOCKET_CLOSED');
    expect(parseError('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab').code).toBe('H1_SOCKET_CLOSED');
    expect(parseError(Buffer.alloc(0)).message).toMatch(/before responding/);
  });
});
