/**
 * One HTTP exchange on a uWS response. uWS invalidates `res` the moment the client goes away, so
 * every write goes through here: nothing touches `res` after `onAborted`, writes from async code
 * are corked (one syscall, and uWS requires it outside the request callback), and streaming
 * writers can wait for the socket to drain instead of piling data into memory.
 */
import { STATUS_CODES } from 'node:http';
import { LightSignal } from '../light-signal.js';
import type { HttpRequest, HttpResponse } from './uws.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export class Exchange {
  readonly method: string;
  readonly url: string;
  readonly query: string;
  /** Request headers, lowercase names (repeated headers joined with ", "). */
  readonly headers: Record<string, string>;
  readonly requestId: string;
  readonly receivedAt = Date.now();
  /** performance.now() at arrival (monotonic; for the latency metric and log line). */
  readonly startedAt = performance.now();
  /** Created on first use (cache hits and refusals never need one); see ../light-signal.ts. */
  private controller: LightSignal | null = null;
  aborted = false;
  /** True once the response has been fully sent. */
  finished = false;
  /** HTTP status sent (0 until the status line is written). */
  status = 0;
  /** Epoch ms when the first body byte of a stream was written. */
  firstByteAt: number | null = null;
  private drainWaiter: (() => void) | null = null;
  /** True after a streamed write uWS had to buffer, until the socket drained. */
  backpressured = false;
  private readonly abortListeners: Array<() => void> = [];

  constructor(
    readonly res: HttpResponse,
    req: HttpRequest,
  ) {
    // HttpRequest is only valid synchronously inside the route callback: copy what we need now.
    this.method = req.getMethod().toUpperCase();
    this.url = req.getUrl();
    this.query = req.getQuery() ?? '';
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
    });
    this.headers = headers;
    const incoming = headers['x-request-id'];
    this.requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
    res.onAborted(() => {
      this.aborted = true;
      this.controller?.abort(new Error('client disconnected'));
      this.wakeDrainWaiter();
      for (const l of this.abortListeners) l();
    });
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new LightSignal();
      if (this.aborted) this.controller.abort(new Error('client disconnected'));
    }
    return this.controller as unknown as AbortSignal;
  }

  get active(): boolean {
    return !this.aborted && !this.finished;
  }

  onAbort(listener: () => void): void {
    this.abortListeners.push(listener);
  }

  /** Sends a complete response. `body` is sent as-is (already serialized). */
  send(status: number, contentType: string, body: string, headers: Record<string, string> = {}, close = false): void {
    if (!this.active) return;
    this.status = status;
    this.finished = true;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      this.res.writeHeader('x-request-id', this.requestId);
      this.res.writeHeader('content-type', contentType);
      for (const name in headers) this.res.writeHeader(name, headers[name]);
      this.res.end(body, close);
    });
  }

  sendJson(status: number, body: unknown, headers: Record<string, string> = {}, close = false): void {
    this.send(status, 'application/json', JSON.stringify(body), headers, close);
  }

  /**
   * Writes a piece of a streamed body — preceded by the status line and the headers on the first
   * call (`base`, unless `extra` sets the same name, then `extra`; not merged into a new object) —
   * and ends the response when `end` is set. Returns false when uWS had to buffer part of it: the
   * socket is then watched at once, and `drained()` resolves when it can take more.
   */
  writeStream(
    base: Readonly<Record<string, string>>,
    extra: Readonly<Record<string, string>>,
    data: string,
    end: boolean,
  ): boolean {
    if (!this.active) return false;
    const res = this.res;
    let ok = true;
    res.cork(() => {
      if (this.status === 0) {
        this.status = 200;
        this.firstByteAt = Date.now();
        res.writeStatus('200 OK');
        res.writeHeader('x-request-id', this.requestId);
        for (const name in base) if (!(name in extra)) res.writeHeader(name, base[name]!);
        for (const name in extra) res.writeHeader(name, extra[name]!);
      }
      if (end) res.end(data);
      else ok = res.write(data);
    });
    if (end) this.finished = true;
    else if (!ok) this.watchWritable();
    return ok;
  }

  /** Resolves once the socket can take more data (after a buffered write), or the client went away. */
  drained(): Promise<void> {
    if (!this.active || !this.backpressured) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.drainWaiter = resolve;
    });
  }

  private watchWritable(): void {
    if (this.backpressured) return;
    this.backpressured = true;
    // Registered right after the buffered write, in the same tick: a drain cannot be missed.
    this.res.onWritable(() => {
      this.backpressured = false;
      this.wakeDrainWaiter();
      // The data was already handed to uWS by write(); nothing to retry here.
      return true;
    });
  }

  /** Closes the connection without a proper response (graceful shutdown gave up on it). */
  forceClose(): void {
    if (!this.active) return;
    this.finished = true;
    this.controller?.abort(new Error('server shutting down'));
    this.res.close();
    this.wakeDrainWaiter();
  }

  private wakeDrainWaiter(): void {
    const w = this.drainWaiter;
    this.drainWaiter = null;
    w?.();
  }
}

const statusLines = new Map<number, string>();
export function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (!line) {
    line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    statusLines.set(status, line);
  }
  return line;
}

let counter = 0;
const prefix = `req_${process.pid.toString(36)}${Date.now().toString(36)}`;
/** Unique per process and cheap: no crypto on the hot path for an id that is not a secret. */
function newRequestId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}${counter.toString(36).padStart(6, '0')}`;
}
