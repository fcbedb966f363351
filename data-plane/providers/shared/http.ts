/**
 * Sends one upstream HTTP request over the provider's keep-alive pool (h1/), under an Attempt's
 * timers. `postJson` reads a whole JSON response; `openStream` returns the live body of a 2xx
 * streaming response (its Attempt stays running until the stream owner finishes it). Non-2xx
 * responses become ProviderErrors with the provider's message and Retry-After (error bodies are
 * read up to 64 KiB). The attempt's abort (caller gone, timer fired) destroys the socket of the
 * request in flight through a plain callback: no AbortController, stream or extra promise.
 */
import type { ProviderRecord } from '../../../common/snapshot.js';
import { type CallOptions, ProviderError } from '../types.js';
import { Attempt } from './attempt.js';
import { type HeaderBag, httpError } from './errors.js';
import { StreamingBody } from './h1/body.js';
import type { Exchange, ResponseHandler } from './h1/exchange.js';
import { getPool } from './pools.js';

export interface UpstreamCall {
  provider: ProviderRecord;
  /** Path (and query) below the provider's base URL, e.g. "/chat/completions". */
  path: string;
  headers: Record<string, string>;
  body: string;
  opts: CallOptions;
  method?: 'POST' | 'GET';
}

const ERROR_BODY_LIMIT = 64 * 1024;

// Base URL → its path prefix; bounded by the number of configured providers (cleared if it grows).
const prefixes = new Map<string, string>();

/** Joins the base URL's path prefix (e.g. "/v1") with an endpoint path. */
export function upstreamPath(baseUrl: string, suffix: string): string {
  let prefix = prefixes.get(baseUrl);
  if (prefix === undefined) {
    prefix = new URL(baseUrl).pathname;
    if (prefix.endsWith('/')) prefix = prefix.slice(0, -1);
    if (prefixes.size >= 1_000) prefixes.clear();
    prefixes.set(baseUrl, prefix);
  }
  return prefix + suffix;
}

function dispatch(call: UpstreamCall, attempt: Attempt, handler: ResponseHandler): Exchange {
  const get = call.method === 'GET';
  const ex = getPool(call.provider).request(
    {
      method: get ? 'GET' : 'POST',
      path: upstreamPath(call.provider.baseUrl, call.path),
      headers: call.headers,
      body: get ? undefined : call.body,
    },
    handler,
  );
  if (!ex.ended) attempt.signal.addEventListener('abort', () => ex.abort(attempt.signal.reason));
  return ex;
}

const isOk = (status: number): boolean => status >= 200 && status < 300;

/** Joins the body pieces as UTF-8 text (one piece: no copy). */
function text(parts: Buffer[]): string {
  return parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/**
 * Collects a whole response. A 2xx body is read whole; an error body up to ERROR_BODY_LIMIT, then
 * the request is abandoned (its connection closed) and what arrived is used.
 */
class WholeResponse implements ResponseHandler {
  status = 0;
  headers: HeaderBag = {};
  readonly parts: Buffer[] = [];
  private size = 0;
  private limit = Number.POSITIVE_INFINITY;
  exchange: Exchange | null = null;

  constructor(
    private readonly attempt: Attempt,
    private readonly resolve: (r: WholeResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  onHead(status: number, headers: HeaderBag): void {
    this.status = status;
    this.headers = headers;
    if (!isOk(status)) this.limit = ERROR_BODY_LIMIT;
  }

  onData(chunk: Buffer): void {
    if (this.size === 0) this.attempt.firstToken();
    this.parts.push(chunk);
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.exchange?.abort(null, false);
      this.resolve(this);
    }
  }

  onComplete(): void {
    this.resolve(this);
  }

  onError(err: unknown): void {
    this.reject(err);
  }
}

function requestWhole(call: UpstreamCall, attempt: Attempt): Promise<WholeResponse> {
  return new Promise<WholeResponse>((resolve, reject) => {
    const res = new WholeResponse(attempt, resolve, reject);
    res.exchange = dispatch(call, attempt, res);
  });
}

/** A JSON request/response. First-token timer: until the first body byte. */
export async function postJson(call: UpstreamCall): Promise<{ json: unknown; headers: HeaderBag }> {
  const attempt = new Attempt(call.provider.type, call.opts.signal, call.opts.timeouts);
  try {
    attempt.throwIfAborted(false);
    const res = await requestWhole(call, attempt);
    const body = text(res.parts);
    if (!isOk(res.status)) throw httpError(call.provider.type, res.status, res.headers, body);
    try {
      return { json: JSON.parse(body), headers: res.headers };
    } catch {
      throw new ProviderError(
        'server_error',
        `${call.provider.type} upstream returned invalid JSON (${body.length} bytes)`,
        res.status,
      );
    }
  } catch (err) {
    throw attempt.mapError(err, false);
  } finally {
    attempt.finish();
  }
}

export interface OpenStream {
  body: StreamingBody;
  headers: HeaderBag;
  attempt: Attempt;
}

/**
 * A streaming response: resolves with the live body on 2xx headers; a non-2xx response is read
 * (up to ERROR_BODY_LIMIT) and rejects with its ProviderError.
 */
class StreamResponse implements ResponseHandler {
  private status = 0;
  private headers: HeaderBag = {};
  readonly body = new StreamingBody();
  private errorParts: Buffer[] | null = null;
  private errorSize = 0;
  exchange: Exchange | null = null;

  constructor(
    private readonly call: UpstreamCall,
    private readonly attempt: Attempt,
    private readonly resolve: (open: OpenStream) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  onHead(status: number, headers: HeaderBag): void {
    this.status = status;
    this.headers = headers;
    if (isOk(status)) this.resolve({ body: this.body, headers, attempt: this.attempt });
    else this.errorParts = [];
  }

  onData(chunk: Buffer): void {
    const parts = this.errorParts;
    if (parts === null) {
      this.body.push(chunk);
      return;
    }
    parts.push(chunk);
    this.errorSize += chunk.length;
    if (this.errorSize > ERROR_BODY_LIMIT) {
      this.exchange?.abort(null, false);
      this.rejectStatus();
    }
  }

  onComplete(): void {
    if (this.errorParts === null) this.body.end();
    else this.rejectStatus();
  }

  onError(err: unknown): void {
    if (this.status !== 0 && this.errorParts === null) this.body.fail(err);
    else this.reject(err);
  }

  private rejectStatus(): void {
    this.reject(httpError(this.call.provider.type, this.status, this.headers, text(this.errorParts!)));
  }
}

/** Opens a streaming response; resolves on 2xx headers. The caller must `attempt.finish()`. */
export async function openStream(call: UpstreamCall): Promise<OpenStream> {
  const attempt = new Attempt(call.provider.type, call.opts.signal, call.opts.timeouts);
  try {
    attempt.throwIfAborted(false);
    const open = await new Promise<OpenStream>((resolve, reject) => {
      const res = new StreamResponse(call, attempt, resolve, reject);
      const ex = dispatch(call, attempt, res);
      res.exchange = ex;
      res.body.bind(ex);
    });
    return open;
  } catch (err) {
    attempt.finish();
    throw attempt.mapError(err, false);
  }
}
