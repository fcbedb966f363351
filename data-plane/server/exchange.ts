/**
 * One HTTP exchange on a uWS response. uWS invalidates `res` the moment the client goes away, so
 * every write goes through here: nothing touches `res` after `onAborted`, writes from async code
 * are corked (one syscall, and uWS requires it outside the request callback), and streaming
 * writers can wait for the socket to drain instead of piling data into memory.
 */
import { STATUS_CODES } from 'node:http';
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
  readonly startedNs = process.hrtime.bigint();
  /** Created on first use: an AbortController costs ~10 µs, and cache hits or refusals never need one. */
  private controller: AbortController | null = null;
  aborted = false;
  /** True once the response has been fully sent. */
  finished = false;
  /** HTTP status sent (0 until the status line is written). */
  status = 0;
  /** Epoch ms when the first body byte of a stream was written. */
  firstByteAt: number | null = null;
  private drainWaiter: (() => void) | null = null;
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
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(new Error('client disconnected'));
    }
    return this.controller.signal;
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

  /** Writes the status line, headers and the first piece of a streamed body. */
  startStream(status: number, headers: Record<string, string>, first: string): boolean {
    if (!this.active) return false;
    this.status = status;
    this.firstByteAt = Date.now();
    let ok = false;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      this.res.writeHeader('x-request-id', this.requestId);
      for (const name in headers) this.res.writeHeader(name, headers[name]);
      ok = this.res.write(first);
    });
    return ok;
  }

  /** False when uWS had to buffer part of it: wait for `drained()` before producing more. */
  write(chunk: string): boolean {
    if (!this.active) return false;
    let ok = false;
    this.res.cork(() => {
      ok = this.res.write(chunk);
    });
    return ok;
  }

  endStream(last?: string): void {
    if (!this.active) return;
    this.finished = true;
    this.res.cork(() => {
      this.res.end(last);
    });
  }

  /** Resolves once the socket can take more data, or the client went away. */
  drained(): Promise<void> {
    if (!this.active) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.drainWaiter = resolve;
      this.res.onWritable(() => {
        this.wakeDrainWaiter();
        // The data was already handed to uWS by write(); nothing to retry here.
        return true;
      });
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
