/**
 * One keep-alive connection: a net/tls socket, its response parser and the exchange it runs (at
 * most one: no pipelining). It reports back to its pool when it is ready for another request
 * (`release`), when it is gone (`detach`) and when a request hit a stale keep-alive connection
 * before any response byte arrived (`retry`: the server closed it while it sat idle).
 */
import type { Socket } from 'node:net';
import { H1Error } from './errors.js';
import type { Exchange } from './exchange.js';
import { type ParserEvents, type ResponseHead, ResponseParser } from './parser.js';

export interface ConnectionOwner {
  release(conn: Connection): void;
  detach(conn: Connection): void;
  retry(ex: Exchange): void;
}

/**
 * Errors meaning "the server had closed this idle connection" (reset, broken pipe, EOF, or our
 * write hit a socket already ended): with no response byte received, safe to send again.
 */
const STALE_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'H1_SOCKET_CLOSED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
]);

export class Connection implements ParserEvents {
  exchange: Exchange | null = null;
  connected = false;
  dead = false;
  /** It sat in the idle list at least once: its next failure may be the stale keep-alive race. */
  pooled = false;
  /** When it went idle (Date.now()) and how long it may stay idle. */
  idleSince = 0;
  idleMs = 0;
  /** The last response's `Keep-Alive: timeout` hint in ms, or null. */
  keepAliveHint: number | null = null;
  private readonly parser = new ResponseParser(this);
  private connectTimer: NodeJS.Timeout | undefined;
  /** The parser completed the current response during this read. */
  private finished = false;

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
    connectTimeoutMs: number,
    secure: boolean,
  ) {
    socket.setNoDelay(true);
    socket.on(secure ? 'secureConnect' : 'connect', this.onConnect);
    socket.on('data', this.onSocketData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    if (connectTimeoutMs > 0) this.connectTimer = setTimeout(this.onConnectTimeout, connectTimeoutMs);
  }

  /** Runs `ex` on this connection (sent now, or as soon as it is connected). */
  start(ex: Exchange): void {
    this.exchange = ex;
    ex.conn = this;
    this.finished = false;
    this.parser.reset(ex.noBody);
    if (this.connected) this.socket.write(ex.payload);
  }

  /** The exchange's owner gave up on it: the rest of the response must never be read as another's. */
  abandon(ex: Exchange): void {
    if (this.exchange !== ex) return;
    this.exchange = null;
    this.teardown();
  }

  /** Destroys the socket and frees the pool slot (idempotent). */
  teardown(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.parser.stop();
    this.socket.destroy();
    this.owner.detach(this);
  }

  // ── parser events ──
  onHead(head: ResponseHead): void {
    this.keepAliveHint = head.keepAliveMs;
    this.exchange!.handler.onHead(head.status, head.headers);
  }

  onBody(chunk: Buffer): void {
    this.exchange!.handler.onData(chunk);
  }

  onComplete(): void {
    this.finished = true;
  }

  // ── socket events ──
  private readonly onConnect = (): void => {
    this.connected = true;
    if (this.connectTimer) {
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    }
    // Detects a peer that vanished without a FIN while the connection sits idle.
    this.socket.setKeepAlive(true, 60_000);
    if (this.exchange !== null) this.socket.write(this.exchange.payload);
    else if (!this.dead) this.owner.release(this);
  };

  private readonly onSocketData = (buf: Buffer): void => {
    const ex = this.exchange;
    if (ex === null) {
      // Bytes nobody asked for (an idle connection, or after a response): out of sync, unusable.
      this.teardown();
      return;
    }
    ex.received = true;
    let pos: number;
    try {
      pos = this.parser.execute(buf);
    } catch (err) {
      this.failExchange(err);
      return;
    }
    if (this.exchange !== ex) return; // aborted from inside a callback
    if (this.finished) this.finishExchange(ex, pos < buf.length);
  };

  private readonly onEnd = (): void => {
    const ex = this.exchange;
    if (ex === null) {
      this.teardown();
      return;
    }
    try {
      this.parser.finish(); // completes a close-delimited body, else throws "closed"
    } catch (err) {
      this.failExchange(err);
      return;
    }
    if (this.exchange === ex && this.finished) this.finishExchange(ex, false);
  };

  private readonly onError = (err: Error): void => {
    this.failExchange(err);
  };

  private readonly onClose = (): void => {
    this.failExchange(new H1Error('H1_SOCKET_CLOSED', 'upstream connection closed'));
  };

  private readonly onConnectTimeout = (): void => {
    this.connectTimer = undefined;
    if (this.connected) return;
    this.failExchange(new H1Error('H1_CONNECT_TIMEOUT', 'upstream connect timeout'));
  };

  private finishExchange(ex: Exchange, extraBytes: boolean): void {
    this.exchange = null;
    const reusable = this.parser.keepAlive && !extraBytes && this.socket.writableLength === 0 && !this.dead;
    if (reusable) {
      // The consumer may have paused it while the response's last bytes were being parsed.
      if (this.socket.isPaused()) this.socket.resume();
      this.owner.release(this);
    } else this.teardown();
    ex.complete();
  }

  private failExchange(err: unknown): void {
    const ex = this.exchange;
    this.exchange = null;
    this.teardown();
    if (ex === null) return;
    const code = (err as { code?: unknown }).code;
    if (this.pooled && !ex.received && !ex.retried && typeof code === 'string' && STALE_CODES.has(code)) {
      ex.retried = true;
      ex.conn = null;
      this.owner.retry(ex);
    } else ex.fail(err);
  }
}
