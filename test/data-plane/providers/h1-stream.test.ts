/**
 * The h1 client's streaming, abort, TLS and connect-timeout paths over real sockets, and the
 * mapping of its failures to ProviderError kinds through http.ts (postJson / openStream).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { getProviderAdapter } from '../../../data-plane/providers/index.js';
import { type BodySink, bodyHandler, StreamingBody } from '../../../data-plane/providers/shared/h1/body.js';
import { H1Pool } from '../../../data-plane/providers/shared/h1/pool.js';
import { openStream, postJson } from '../../../data-plane/providers/shared/http.js';
import { closePools } from '../../../data-plane/providers/shared/pools.js';
import { okResponse, rawServer, send, sleep, useTracker } from './h1-helpers.js';
import { asStream, chatReq, collect, opts, providerOf, textOf } from './helpers.js';

const track = useTracker();
afterAll(async () => {
  await closePools();
});

function poolAt(url: string, max = 4): H1Pool {
  const pool = new H1Pool(url, { maxConnections: max, connectTimeoutMs: 1_000 });
  track({ close: () => pool.destroy() });
  return pool;
}

/** Opens a streaming request on `pool` and returns its body and a recording sink. */
function stream(pool: H1Pool) {
  const body = new StreamingBody();
  const got: Buffer[] = [];
  let status = 0;
  const events = { ended: false, error: null as unknown };
  const sink: BodySink = {
    onData: (c) => got.push(Buffer.from(c)),
    onEnd: () => {
      events.ended = true;
    },
    onError: (e) => {
      events.error = e;
    },
  };
  const headed = new Promise<number>((resolve, reject) => {
    const ex = pool.request(
      { method: 'POST', path: '/s', headers: {}, body: '{}' },
      {
        ...bodyHandler(body, (s) => {
          status = s;
          resolve(s);
        }),
        onError: (e) => {
          body.fail(e);
          reject(e);
        },
      },
    );
    body.bind(ex);
  });
  body.attach(sink);
  return { body, got, events, headed, status: () => status };
}

const closedOnServer = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('h1: abort', () => {
  it('aborting a request in flight destroys its socket; the next request opens a new one', async () => {
    const srv = track(await rawServer((s, req) => req.conn > 0 && s.write(okResponse('ok'))));
    const pool = poolAt(srv.url);
    let ex: import('../../../data-plane/providers/shared/h1/exchange.js').Exchange | undefined;
    const p = send(pool, {}, (e) => {
      ex = e;
    }).catch((e) => e);
    while (srv.requests.length === 0) await sleep(2);
    ex!.abort(new Error('client gone'));
    expect(await p).toMatchObject({ message: 'client gone' });
    await closedOnServer(srv.sockets[0]!);
    expect(pool.size).toBe(0);
    expect((await send(pool)).body).toBe('ok');
    expect(srv.connections).toBe(2);
  });

  it('aborting mid-stream (caller signal through openStream) destroys the socket, never reused', async () => {
    const srv = track(
      await rawServer((s) => {
        s.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
        s.write('14\r\ndata: {"a":"first"}\n\n\r\n');
      }),
    );
    const ac = new AbortController();
    const provider = providerOf('openai', `${srv.url}/v1`, { id: 'h1-abort-stream' });
    const o = await openStream({
      provider,
      path: '/chat/completions',
      headers: {},
      body: '{}',
      opts: opts({ signal: ac.signal }),
    });
    const events: { data: string[]; error: unknown } = { data: [], error: null };
    o.body.attach({
      onData: (c) => events.data.push(c.toString()),
      onEnd: () => undefined,
      onError: (e) => {
        events.error = e;
      },
    });
    o.body.resume();
    while (events.data.length === 0) await sleep(2);
    ac.abort(new Error('client disconnected'));
    await closedOnServer(srv.sockets[0]!);
    expect(o.attempt.mapError(events.error, true)).toMatchObject({ message: 'client disconnected' });
    o.attempt.finish();
  });

  it('a consumer that abandons a body mid-way destroys the socket; a fully read body returns it', async () => {
    const srv = track(
      await rawServer((s, req) => {
        if (req.conn === 0) s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789');
        else s.write(okResponse('done'));
      }),
    );
    const pool = poolAt(srv.url);
    const a = stream(pool);
    await a.headed;
    a.body.resume();
    while (a.got.length === 0) await sleep(2);
    a.body.destroy();
    await closedOnServer(srv.sockets[0]!);
    expect(pool.size).toBe(0);

    const b = stream(pool);
    await b.headed;
    b.body.resume();
    while (!b.events.ended) await sleep(2);
    expect(Buffer.concat(b.got).toString()).toBe('done');
    expect(b.body.complete).toBe(true);
    expect(pool.idleCount).toBe(1);
  });
});

describe('h1: SSE end marker', () => {
  it('a body left open after [DONE] is closed after the drain grace, not leaked in the pool', async () => {
    const ev = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
    const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    const base = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm' };
    const srv = track(
      await rawServer((s) => {
        s.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
        s.write(chunk(ev({ ...base, choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] })));
        s.write(chunk(ev({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })));
        s.write(chunk('data: [DONE]\n\n')); // …and never the terminating 0-chunk
      }),
    );
    const provider = providerOf('openai', `${srv.url}/v1`, { id: 'h1-drain' });
    const r = await getProviderAdapter('openai').chat(chatReq({ stream: true }), { provider, model: 'm' }, opts());
    const started = performance.now();
    expect(textOf(await collect(asStream(r)))).toBe('hi');
    await closedOnServer(srv.sockets[0]!);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThan(1_500);
    expect(waited).toBeLessThan(5_000);
  });
});

describe('h1: back-pressure', () => {
  it('a consumer that does not pull pauses the socket: the server write buffer fills; pulling again drains all', async () => {
    const TOTAL = 64 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    let blocked = false;
    const srv = track(
      await rawServer((s) => {
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${TOTAL}\r\n\r\n`);
        const pump = () => {
          while (written < TOTAL) {
            written += piece.length;
            if (!s.write(piece)) {
              blocked = true;
              s.once('drain', pump);
              return;
            }
          }
        };
        pump();
      }),
    );
    const pool = poolAt(srv.url);
    const st = stream(pool);
    await st.headed;
    // Take one buffer, then stop pulling (like the SSE reader with chunks queued).
    let received = 0;
    await new Promise<void>((resolve) => {
      st.body.attach({
        onData: (c) => {
          received += c.length;
          st.body.pause();
          resolve();
        },
        onEnd: () => undefined,
        onError: () => undefined,
      });
      st.body.resume();
    });
    await sleep(300);
    const stalledAt = written;
    expect(blocked).toBe(true);
    expect(srv.sockets[0]!.writableLength).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(TOTAL / 2); // bounded by socket buffers, not the body size
    await sleep(100);
    expect(written).toBe(stalledAt); // nothing moves while the consumer does not pull
    // Pull everything now.
    await new Promise<void>((resolve) => {
      st.body.attach({
        onData: (c) => {
          received += c.length;
        },
        onEnd: resolve,
        onError: resolve,
      });
      st.body.resume();
    });
    expect(received).toBe(TOTAL);
    expect(pool.idleCount).toBe(1);
  }, 20_000);
});

describe('h1: https', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-h1-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('TLS with SNI = hostname and ALPN http/1.1, keep-alive reuse; an untrusted cert fails as connection', async () => {
    // A throwaway self-signed certificate, generated for this test run only.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=upstream.test',
        '-addext',
        'subjectAltName=DNS:upstream.test',
      ],
      { stdio: 'ignore' },
    );
    const key = readFileSync(join(dir, 'key.pem'));
    const cert = readFileSync(join(dir, 'cert.pem'));
    const seen: Array<{ servername: string | false | null; alpn: string | false | null }> = [];
    let connections = 0;
    const server = createTlsServer({ key, cert, ALPNProtocols: ['http/1.1'] }, (sock: TLSSocket) => {
      connections++;
      seen.push({ servername: sock.servername, alpn: sock.alpnProtocol });
      sock.on('error', () => undefined);
      sock.on('data', () => sock.write(okResponse('{"tls":true}')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    track({ close: () => new Promise<void>((r) => server.close(() => r())) });
    const port = (server.address() as { port: number }).port;
    // upstream.test resolves to 127.0.0.1 for this pool only.
    const lookup = (
      _h: string,
      o: { all?: boolean },
      cb: (err: Error | null, a: string | Array<{ address: string; family: number }>, f?: number) => void,
    ) => (o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
    const pool = new H1Pool(`https://upstream.test:${port}`, {
      maxConnections: 2,
      connectTimeoutMs: 2_000,
      tls: { ca: cert, lookup: lookup as never },
    });
    track({ close: () => pool.destroy() });
    expect((await send(pool)).body).toBe('{"tls":true}');
    expect((await send(pool)).body).toBe('{"tls":true}');
    expect(connections).toBe(1);
    expect(seen[0]).toEqual({ servername: 'upstream.test', alpn: 'http/1.1' });

    // Without the CA the certificate is refused: a connection error, never a response.
    const untrusted = new H1Pool(`https://upstream.test:${port}`, {
      maxConnections: 1,
      connectTimeoutMs: 2_000,
      tls: { lookup: lookup as never },
    });
    track({ close: () => untrusted.destroy() });
    const err = await send(untrusted).catch((e) => e);
    expect(err.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });
});

describe('h1: connect timeout and error kinds through http.ts', () => {
  it('a server that never accepts → H1_CONNECT_TIMEOUT → ProviderError timeout', async () => {
    // A listening socket with a backlog of 0 that never accepts: once one connection fills the
    // queue, further SYNs are dropped and connect() hangs until our timeout.
    const py = spawn('python3', [
      '-c',
      "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)",
    ]);
    track({ close: () => void py.kill() });
    const port = await new Promise<number>((r) => py.stdout.once('data', (d) => r(Number(String(d).trim()))));
    const filler = connect(port, '127.0.0.1');
    filler.on('error', () => undefined);
    track({ close: () => void filler.destroy() });
    await new Promise<void>((r) => filler.once('connect', () => r()));
    const pool = new H1Pool(`http://127.0.0.1:${port}`, { maxConnections: 1, connectTimeoutMs: 150 });
    track({ close: () => pool.destroy() });
    const started = performance.now();
    expect(await send(pool).catch((e) => e)).toMatchObject({ code: 'H1_CONNECT_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(1_000);

    const provider = providerOf('openai', `http://127.0.0.1:${port}/v1`, {
      id: 'h1-connect-timeout',
      timeouts: { connectMs: 150, firstTokenMs: 5_000, totalMs: 10_000 },
    });
    const err = await postJson({ provider, path: '/chat/completions', headers: {}, body: '{}', opts: opts() }).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ name: 'ProviderError', kind: 'timeout', status: null });
  });

  it('parse errors, oversize heads and premature closes → connection; error bodies capped at 64 KiB', async () => {
    const srv = track(
      await rawServer((s, req) => {
        const which = req.path.split('/').pop();
        if (which === 'garbage') s.write('HTTP/1.1 OK 200\r\n\r\n');
        else if (which === 'huge') s.write(`HTTP/1.1 200 OK\r\nx: ${'h'.repeat(70_000)}\r\n\r\n`);
        else if (which === 'cut') s.end('HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{"a"');
        else if (which === 'err500') {
          const msg = JSON.stringify({ error: { message: 'boom', type: 'server_error' } });
          s.write(`HTTP/1.1 500 Internal Server Error\r\ncontent-length: ${msg.length + 1_000_000}\r\n\r\n${msg}`);
          s.write(Buffer.alloc(1_000_000, 0x20));
        }
      }),
    );
    const provider = providerOf('openai', `${srv.url}/v1`, { id: 'h1-kinds' });
    const call = (path: string) =>
      postJson({ provider, path, headers: {}, body: '{}', opts: opts() }).catch((e) => e as Error);
    expect(await call('/garbage')).toMatchObject({ kind: 'connection', message: /H1_PARSE_ERROR/ });
    expect(await call('/huge')).toMatchObject({ kind: 'connection', message: /H1_HEADERS_TOO_LARGE/ });
    expect(await call('/cut')).toMatchObject({ kind: 'connection', message: /H1_SOCKET_CLOSED/ });
    const before = srv.connections;
    expect(await call('/err500')).toMatchObject({ kind: 'server_error', status: 500, message: /boom/ });
    // The rest of the 1 MB error body was not read: that connection is closed, not reused.
    expect(srv.connections).toBe(before + 1);
    const streamErr = await openStream({ provider, path: '/err500', headers: {}, body: '{}', opts: opts() }).catch(
      (e) => e,
    );
    expect(streamErr).toMatchObject({ kind: 'server_error', status: 500 });
  });
});
