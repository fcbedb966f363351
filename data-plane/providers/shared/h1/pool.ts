/**
 * A keep-alive pool of HTTP/1.1 connections to one origin (http: or https:). At most
 * `maxConnections` sockets are open (connecting, busy or idle); requests beyond that wait in a
 * FIFO queue. Idle connections are reused last-in-first-out (the warmest socket first, so the
 * rest age out) and dropped when the server closes them or before their idle time runs out:
 * `idleTimeoutMs`, shortened by a `Keep-Alive: timeout=N` hint. A request that fails on a reused
 * connection before any response byte arrived is sent once more on a fresh connection.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { Connection, type ConnectionOwner } from './connection.js';
import { H1Error } from './errors.js';
import { Exchange, type ExchangeOwner, type ResponseHandler } from './exchange.js';
import { type H1Request, serializeRequest } from './request.js';

export interface H1PoolOptions {
  maxConnections: number;
  /** 0 = no connect timeout. */
  connectTimeoutMs: number;
  /** How long an unused connection is kept (default 30 s). */
  idleTimeoutMs?: number;
  /** Extra TLS options for https: origins (e.g. `ca` in tests); SNI and ALPN are set here. */
  tls?: ConnectionOptions;
}

const DEFAULT_IDLE_MS = 30_000;
const SWEEP_MS = 1_000;

export class H1Pool implements ConnectionOwner, ExchangeOwner {
  readonly origin: string;
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;
  private readonly hostHeader: string;
  private readonly servername: string | undefined;
  private readonly max: number;
  private readonly idleTimeoutMs: number;
  /** Idle connections, most recently used last. */
  private readonly idle: Connection[] = [];
  private readonly queue: Exchange[] = [];
  private readonly conns = new Set<Connection>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private drained: (() => void) | null = null;

  constructor(
    origin: string,
    private readonly options: H1PoolOptions,
  ) {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`unsupported upstream protocol ${url.protocol} (http: or https:)`);
    }
    this.origin = url.origin;
    this.secure = url.protocol === 'https:';
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port ? Number(url.port) : this.secure ? 443 : 80;
    this.hostHeader = url.host;
    this.servername = isIP(this.host) === 0 ? this.host : undefined;
    this.max = Math.max(1, options.maxConnections);
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  }

  /** Open sockets (connecting, busy and idle) — for tests and metrics. */
  get size(): number {
    return this.conns.size;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get queued(): number {
    return this.queue.length;
  }

  /**
   * Starts a request; the handler hears the outcome. The serialization error of a bad request
   * (H1_INVALID_REQUEST) and a closed pool are reported through the handler as well.
   */
  request(req: H1Request, handler: ResponseHandler): Exchange {
    let payload: string;
    try {
      payload = serializeRequest(req, this.hostHeader);
    } catch (err) {
      const ex = new Exchange(this, '', false, handler);
      ex.fail(err);
      return ex;
    }
    const ex = new Exchange(this, payload, req.method === 'HEAD', handler);
    this.dispatch(ex, false);
    return ex;
  }

  /** Stops taking requests; queued ones fail, idle sockets close, running ones finish first. */
  close(): Promise<void> {
    this.shutdown();
    for (const c of this.idle.splice(0)) c.teardown();
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.drained = resolve;
    });
  }

  /** Closes every socket now; running requests fail with H1_POOL_CLOSED. */
  destroy(): void {
    this.shutdown();
    const err = closedError();
    for (const c of [...this.conns]) {
      const ex = c.exchange;
      c.exchange = null;
      c.teardown();
      ex?.fail(err);
    }
  }

  // ── ConnectionOwner ──
  release(conn: Connection): void {
    if (this.closed) {
      conn.teardown();
      return;
    }
    const next = this.queue.shift();
    if (next !== undefined) {
      conn.pooled = true;
      conn.start(next);
      return;
    }
    const hint = conn.keepAliveHint;
    // Leave before the server's own timeout fires (a request racing its close would fail).
    const idleMs = hint === null ? this.idleTimeoutMs : Math.min(this.idleTimeoutMs, hint - Math.min(1_000, hint / 2));
    if (idleMs <= 0) {
      conn.teardown();
      return;
    }
    conn.pooled = true;
    conn.idleMs = idleMs;
    conn.idleSince = Date.now();
    this.idle.push(conn);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(this.sweep, SWEEP_MS);
      this.sweeper.unref();
    }
  }

  detach(conn: Connection): void {
    if (!this.conns.delete(conn)) return;
    const i = this.idle.lastIndexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    if (this.closed) {
      if (this.conns.size === 0 && this.drained) {
        const d = this.drained;
        this.drained = null;
        d();
      }
      return;
    }
    // A slot freed: the oldest waiting request gets a new connection.
    const next = this.queue.shift();
    if (next !== undefined) this.open().start(next);
  }

  retry(ex: Exchange): void {
    this.dispatch(ex, true);
  }

  // ── ExchangeOwner ──
  dequeue(ex: Exchange): void {
    const i = this.queue.indexOf(ex);
    if (i !== -1) this.queue.splice(i, 1);
  }

  private dispatch(ex: Exchange, fresh: boolean): void {
    if (this.closed) {
      ex.fail(closedError());
      return;
    }
    if (!fresh) {
      const conn = this.takeIdle();
      if (conn !== null) {
        conn.start(ex);
        return;
      }
    }
    if (this.conns.size < this.max) this.open().start(ex);
    else if (fresh) this.queue.unshift(ex);
    else this.queue.push(ex);
  }

  private takeIdle(): Connection | null {
    const now = Date.now();
    for (;;) {
      const conn = this.idle.pop();
      if (conn === undefined) return null;
      if (!conn.dead && now - conn.idleSince < conn.idleMs) return conn;
      conn.teardown();
    }
  }

  private open(): Connection {
    const { connectTimeoutMs, tls } = this.options;
    let socket: Socket;
    if (this.secure) {
      socket = tlsConnect({
        ...tls,
        host: this.host,
        port: this.port,
        servername: this.servername,
        ALPNProtocols: ['http/1.1'],
      });
    } else socket = netConnect({ host: this.host, port: this.port });
    const conn = new Connection(socket, this, connectTimeoutMs, this.secure);
    this.conns.add(conn);
    return conn;
  }

  /** Closes idle connections whose time is up (oldest first: they sit at the bottom). */
  private readonly sweep = (): void => {
    const now = Date.now();
    for (const conn of this.idle.slice()) {
      if (now - conn.idleSince >= conn.idleMs) conn.teardown();
    }
    if (this.idle.length === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };

  private shutdown(): void {
    this.closed = true;
    if (this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
    const err = closedError();
    for (const ex of this.queue.splice(0)) ex.fail(err);
  }
}

function closedError(): H1Error {
  return new H1Error('H1_POOL_CLOSED', 'upstream pool closed');
}
