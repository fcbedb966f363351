/**
 * The h1 pool over real sockets against raw servers the test controls byte by byte: framings,
 * keep-alive reuse (counted server connections), idle sockets the server closed, the stale
 * keep-alive retry (once, never after a response byte), Keep-Alive timeout hints, queueing.
 */
import { describe, expect, it } from 'vitest';
import { H1Pool } from '../../../data-plane/providers/shared/h1/pool.js';
import { dribble, okResponse, type RawServer, rawServer, send, sleep, useTracker } from './h1-helpers.js';

const track = useTracker();

function poolFor(srv: RawServer, max = 4, idleTimeoutMs?: number): H1Pool {
  const pool = new H1Pool(srv.url, { maxConnections: max, connectTimeoutMs: 1_000, idleTimeoutMs });
  track({ close: () => pool.destroy() });
  return pool;
}

describe('h1 pool: requests and framings over a socket', () => {
  it('sends one well-formed request: host, UTF-8 content-length, no transfer-encoding, caller framing headers dropped', async () => {
    const srv = track(await rawServer((s) => s.write(okResponse('{"ok":true}'))));
    const pool = poolFor(srv);
    const body = JSON.stringify({ text: 'héllo €' });
    const r = await send(pool, {
      headers: { authorization: 'Bearer x', 'Content-Length': '1', 'transfer-encoding': 'chunked', Host: 'evil' },
      body,
    });
    expect(r).toMatchObject({ status: 200, body: '{"ok":true}' });
    const req = srv.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/x');
    expect(req.headers.host).toBe(`127.0.0.1:${srv.port}`);
    expect(req.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(req.headers['transfer-encoding']).toBeUndefined();
    expect(req.head.match(/content-length/gi)).toHaveLength(1);
    expect(req.head.match(/^host:/gim)).toHaveLength(1);
    expect(req.body).toBe(body);
  });

  it('refuses header values that would inject lines, before anything is sent', async () => {
    const srv = track(await rawServer((s) => s.write(okResponse('{}'))));
    const err = await send(poolFor(srv), { headers: { 'x-a': 'v\r\nx-injected: 1' } }).catch((e) => e);
    expect(err).toMatchObject({ code: 'H1_INVALID_REQUEST' });
    expect(srv.connections).toBe(0);
  });

  it('chunked responses dribbled one byte per segment, with extensions and trailers', async () => {
    const raw =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\n3\r\nefg\r\n0\r\nX-Trailer: t\r\n\r\n';
    const srv = track(await rawServer((s) => void dribble(s, raw)));
    const pool = poolFor(srv);
    const r = await send(pool);
    expect(r.body).toBe('abcdefg');
    expect(r.chunks).toBeGreaterThan(2); // really arrived in pieces
    // The connection is reusable after a chunked body.
    await send(pool);
    expect(srv.connections).toBe(1);
  });

  it('close-delimited bodies are read to EOF and the connection is not reused', async () => {
    const srv = track(
      await rawServer((s) => {
        s.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ');
        setTimeout(() => s.end('part two'), 20);
      }),
    );
    const pool = poolFor(srv);
    expect((await send(pool)).body).toBe('part one, part two');
    expect((await send(pool)).body).toBe('part one, part two');
    expect(srv.connections).toBe(2);
  });

  it('skips 1xx interim responses, also in the same packet as the final one', async () => {
    const srv = track(
      await rawServer((s) =>
        s.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n${okResponse('{"a":1}')}`),
      ),
    );
    const r = await send(poolFor(srv));
    expect(r).toMatchObject({ status: 200, body: '{"a":1}' });
    expect(r.headers.link).toBeUndefined();
  });

  it('unsolicited bytes after a response: that response is fine, the connection is not reused', async () => {
    const srv = track(await rawServer((s) => s.write(okResponse('first') + okResponse('unasked'))));
    const pool = poolFor(srv);
    expect((await send(pool)).body).toBe('first');
    expect((await send(pool)).body).toBe('first');
    expect(srv.connections).toBe(2);
  });

  it('Connection: close is honoured', async () => {
    const srv = track(await rawServer((s) => s.write(okResponse('x', 'connection: close\r\n'))));
    const pool = poolFor(srv);
    await send(pool);
    await send(pool);
    expect(srv.connections).toBe(2);
  });

  it('oversize and malformed heads fail with typed errors', async () => {
    const big = track(
      await rawServer((s) => s.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(70_000)}\r\ncontent-length: 0\r\n\r\n`)),
    );
    expect(await send(poolFor(big)).catch((e) => e)).toMatchObject({ code: 'H1_HEADERS_TOO_LARGE' });
    const bad = track(await rawServer((s) => s.write('HTTP/1.1 2OO OK\r\n\r\n')));
    expect(await send(poolFor(bad)).catch((e) => e)).toMatchObject({ code: 'H1_PARSE_ERROR' });
    const cut = track(await rawServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc')));
    expect(await send(poolFor(cut)).catch((e) => e)).toMatchObject({ code: 'H1_SOCKET_CLOSED' });
  });
});

describe('h1 pool: keep-alive', () => {
  it('reuses one socket for sequential requests (LIFO idle list)', async () => {
    const srv = track(await rawServer((s, req) => s.write(okResponse(String(req.index)))));
    const pool = poolFor(srv);
    const bodies: string[] = [];
    for (let i = 0; i < 10; i++) bodies.push((await send(pool)).body);
    expect(bodies).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(srv.connections).toBe(1);
    expect(pool.idleCount).toBe(1);
  });

  it('drops an idle socket the server closed, and the next request opens a new one', async () => {
    const srv = track(await rawServer((s) => s.write(okResponse('ok'))));
    const pool = poolFor(srv);
    await send(pool);
    srv.sockets[0]!.end(); // server closes the idle keep-alive connection (FIN)
    for (let i = 0; i < 50 && pool.size > 0; i++) await sleep(5);
    expect(pool.size).toBe(0);
    expect((await send(pool)).body).toBe('ok');
    expect(srv.connections).toBe(2);
  });

  it('retries once on a fresh connection when a reused socket dies before any response byte', async () => {
    // Each connection answers its first request and resets on its second (the stale race).
    const srv = track(
      await rawServer((s, req) => {
        if (req.index === 0) s.write(okResponse(`conn ${req.conn}`));
        else s.resetAndDestroy();
      }),
    );
    const pool = poolFor(srv);
    expect((await send(pool)).body).toBe('conn 0');
    expect((await send(pool)).body).toBe('conn 1'); // reset on conn 0, retried on conn 1
    expect(srv.connections).toBe(2);
    expect(srv.requests.map((r) => [r.conn, r.index])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
  });

  it('never retries on a fresh connection, nor twice', async () => {
    const fresh = track(await rawServer((s) => s.resetAndDestroy()));
    expect(await send(poolFor(fresh)).catch((e) => e)).toMatchObject({ code: 'ECONNRESET' });
    expect(fresh.requests).toHaveLength(1);
    // Reused connection fails, the retry's fresh connection fails too: the error surfaces.
    const twice = track(
      await rawServer((s, req) => {
        if (req.conn === 0 && req.index === 0) s.write(okResponse('ok'));
        else s.resetAndDestroy();
      }),
    );
    const pool = poolFor(twice);
    await send(pool);
    expect(await send(pool).catch((e) => e)).toMatchObject({ code: 'ECONNRESET' });
    expect(twice.requests).toHaveLength(3);
  });

  it('never retries once a response byte arrived', async () => {
    const srv = track(
      await rawServer((s, req) => {
        if (req.index === 0) s.write(okResponse('ok'));
        else {
          s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
          setTimeout(() => s.resetAndDestroy(), 20);
        }
      }),
    );
    const pool = poolFor(srv);
    await send(pool);
    const err = await send(pool).catch((e) => e);
    expect(err).toMatchObject({ code: 'ECONNRESET' });
    expect(srv.requests).toHaveLength(2);
    expect(srv.connections).toBe(1);
  });

  it('honours Keep-Alive: timeout=N (leaves before it expires) and the default idle timeout', async () => {
    const hinted = track(await rawServer((s) => s.write(okResponse('ok', 'keep-alive: timeout=1\r\n'))));
    const pool = poolFor(hinted);
    await send(pool);
    await sleep(100);
    await send(pool);
    expect(hinted.connections).toBe(1); // still fresh: reused
    await sleep(600); // past the hint minus its margin (500 ms for timeout=1)
    await send(pool);
    expect(hinted.connections).toBe(2);

    const idle = track(await rawServer((s) => s.write(okResponse('ok'))));
    const short = poolFor(idle, 4, 400);
    await send(short);
    await sleep(50);
    await send(short);
    expect(idle.connections).toBe(1);
    await sleep(500);
    await send(short);
    expect(idle.connections).toBe(2);
  });

  it('maxConnections bounds open sockets; excess requests queue FIFO', async () => {
    const pending: Array<() => void> = [];
    const srv = track(
      await rawServer((s, req) => {
        pending.push(() => s.write(okResponse(req.body)));
      }),
    );
    const pool = poolFor(srv, 2);
    const order: string[] = [];
    const all = [0, 1, 2, 3, 4].map((i) => send(pool, { body: String(i) }).then((r) => order.push(r.body)));
    for (let i = 0; i < 50 && pending.length < 2; i++) await sleep(5);
    expect(srv.connections).toBe(2);
    expect(pool.size).toBe(2);
    expect(pool.queued).toBe(3);
    while (order.length < 5) {
      const next = pending.shift();
      if (next) next();
      await sleep(5);
    }
    await Promise.all(all);
    expect(order).toEqual(['0', '1', '2', '3', '4']);
    expect(srv.connections).toBe(2);
    expect(srv.requests.map((r) => r.body)).toEqual(['0', '1', '2', '3', '4']);
  });

  it('a queued request that is aborted leaves the queue and never reaches the server', async () => {
    const srv = track(await rawServer((s) => setTimeout(() => s.write(okResponse('ok')), 50)));
    const pool = poolFor(srv, 1);
    const first = send(pool);
    let queued: import('../../../data-plane/providers/shared/h1/exchange.js').Exchange | undefined;
    const second = send(pool, {}, (ex) => {
      queued = ex;
    }).catch((e) => e);
    queued!.abort(new Error('gone'));
    expect(await second).toMatchObject({ message: 'gone' });
    await first;
    expect(srv.requests).toHaveLength(1);
    expect(pool.queued).toBe(0);
  });

  it('close() lets the running request finish, then closes', async () => {
    const srv = track(await rawServer((s) => setTimeout(() => s.write(okResponse('late')), 50)));
    const pool = poolFor(srv);
    const running = send(pool);
    await sleep(10);
    const closed = pool.close();
    expect((await running).body).toBe('late');
    await closed;
    expect(pool.size).toBe(0);
    expect(await send(pool).catch((e) => e)).toMatchObject({ code: 'H1_POOL_CLOSED' });
  });
});
