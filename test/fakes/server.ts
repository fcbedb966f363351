/**
 * The engine shared by the fake providers: an HTTP server on 127.0.0.1:0 that records every
 * request, picks the behaviour (one-shot script first, then the default), applies faults
 * (reset, hang, delays, status errors) and writes JSON or SSE replies built by the provider
 * module in its real wire format.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FakeBehavior, FakeServer, RecordedRequest } from './types.js';

export type FakeReply =
  | { kind: 'json'; status?: number; headers?: Record<string, string>; body: unknown }
  | {
      kind: 'stream';
      /** Events before the content (not counted by resetAfterChunks). */
      prelude: string[];
      /** Content deltas, counted by resetAfterChunks / errorEventAfterChunks. */
      content: string[];
      /** Closing events (finish, usage). */
      closing: string[];
      /** The end marker ([DONE], message_stop); left out with omitEnd. */
      end: string[];
      /** The provider's in-stream error event. */
      errorEvent: string;
    };

export interface Exchange {
  url: URL;
  body: Record<string, unknown>;
  behavior: FakeBehavior;
}

export interface ProviderModule {
  /** Base path clients configure, e.g. "/v1" (OpenAI), "" (Anthropic), "/v1beta" (Gemini). */
  basePath: string;
  /** The provider's error reply for a status (429, 500, 529…). */
  errorReply(status: number, b: FakeBehavior): FakeReply;
  /** The provider's context-window error reply. */
  contextReply(b: FakeBehavior): FakeReply;
  /** The normal reply, or null for an unknown path (404). */
  reply(ex: Exchange): FakeReply | null;
}

export const sse = (data: unknown, event?: string): string =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

const DEFAULT_TEXT = 'Hello from the fake provider!';

/** The effective text pieces of a behaviour. */
export function piecesOf(b: FakeBehavior): string[] {
  if (b.chunks) return b.chunks;
  const text = b.text ?? (b.toolCalls && b.toolCalls.length > 0 ? '' : DEFAULT_TEXT);
  return text === '' ? [] : text.split(/(?= )/);
}

export function usageOf(b: FakeBehavior): Required<NonNullable<FakeBehavior['usage']>> | null {
  if (b.usage === null) return null;
  const u = b.usage ?? {};
  return {
    prompt: u.prompt ?? 10,
    completion: u.completion ?? Math.max(1, piecesOf(b).length),
    cached: u.cached ?? 0,
    cacheWrite: u.cacheWrite ?? 0,
    thoughts: u.thoughts ?? 0,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startFakeServer(mod: ProviderModule): Promise<FakeServer> {
  let defaults: FakeBehavior = {};
  let queue: FakeBehavior[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const raw = Buffer.concat(parts).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      // keep the raw string
    }
    let resolveClosed: () => void = () => undefined;
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      remotePort: req.socket.remotePort ?? 0,
      body,
      aborted: false,
      closed: new Promise<void>((r) => {
        resolveClosed = r;
      }),
    };
    requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) rec.aborted = true;
      resolveClosed();
    });
    const behavior: FakeBehavior = { ...defaults, ...(queue.shift() ?? {}) };
    try {
      await respond(req, res, behavior, body);
    } catch {
      if (!res.destroyed) res.destroy();
    }
  }

  async function respond(req: IncomingMessage, res: ServerResponse, b: FakeBehavior, body: unknown): Promise<void> {
    if (b.resetBeforeResponse) {
      req.socket.destroy();
      return;
    }
    if (b.hang) return; // never answer; the socket closes when the client gives up
    const url = new URL(req.url ?? '/', 'http://fake');
    let reply: FakeReply | null;
    if (b.contextLengthError) reply = mod.contextReply(b);
    else if (b.status && b.status >= 300) reply = mod.errorReply(b.status, b);
    else reply = mod.reply({ url, body: (body ?? {}) as Record<string, unknown>, behavior: b });
    if (!reply) reply = { kind: 'json', status: 404, body: { error: { message: `no route ${url.pathname}` } } };

    if (b.headersDelayMs) await sleep(b.headersDelayMs);
    if (reply.kind === 'json') {
      if (b.firstChunkDelayMs) await sleep(b.firstChunkDelayMs);
      if (res.destroyed) return;
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(reply.headers ?? {}) };
      if (b.retryAfter !== undefined) headers['retry-after'] = b.retryAfter;
      if (b.retryAfterMs !== undefined) headers['retry-after-ms'] = String(b.retryAfterMs);
      res.writeHead(reply.status ?? 200, headers).end(JSON.stringify(reply.body));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    if (b.firstChunkDelayMs) await sleep(b.firstChunkDelayMs);
    const write = async (ev: string, delay: boolean) => {
      if (res.destroyed) throw new Error('client gone');
      if (delay && b.chunkDelayMs) await sleep(b.chunkDelayMs);
      if (res.destroyed) throw new Error('client gone');
      // Wait until the bytes reached the socket, so a reset right after cannot swallow them.
      await new Promise<void>((resolve) => res.write(ev, () => resolve()));
    };
    const reset = async () => {
      await sleep(10);
      res.socket?.destroy();
    };
    // The prelude (OpenAI role chunk, Anthropic message_start…) goes out at once, like the real
    // providers; chunkDelayMs paces the content deltas after the first one.
    let first = true;
    for (const ev of reply.prelude) await write(ev, false);
    let n = 0;
    for (const ev of reply.content) {
      if (b.resetAfterChunks !== undefined && n >= b.resetAfterChunks) {
        await reset();
        return;
      }
      if (b.errorEventAfterChunks !== undefined && n >= b.errorEventAfterChunks) {
        await write(reply.errorEvent, true);
        res.end();
        return;
      }
      await write(ev, !first);
      first = false;
      n++;
    }
    if (b.resetAfterChunks !== undefined && n >= b.resetAfterChunks) {
      await reset();
      return;
    }
    if (b.errorEventAfterChunks !== undefined && n >= b.errorEventAfterChunks) {
      await write(reply.errorEvent, true);
      res.end();
      return;
    }
    for (const ev of reply.closing) await write(ev, !first);
    if (!b.omitEnd) for (const ev of reply.end) await write(ev, false);
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: origin + mod.basePath,
    origin,
    port,
    requests,
    setBehavior(b) {
      defaults = { ...b };
    },
    script(...bs) {
      queue.push(...bs);
    },
    reset() {
      defaults = {};
      queue = [];
      requests.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
