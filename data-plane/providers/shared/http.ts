/**
 * Sends one upstream HTTP request over the provider's keep-alive pool, under an Attempt's timers.
 * `postJson` reads a whole JSON response; `openStream` returns the live body of a 2xx streaming
 * response (its Attempt stays running until the stream owner finishes it). Non-2xx responses
 * become ProviderErrors with the provider's message and Retry-After.
 */
import type { Readable } from 'node:stream';
import type { ProviderRecord } from '../../../common/snapshot.js';
import { type CallOptions, ProviderError } from '../types.js';
import { Attempt } from './attempt.js';
import { type HeaderBag, httpError } from './errors.js';
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

/**
 * The whole body as text ('data' events: cheaper than an async iterator over the stream). Past
 * `limit` bytes the rest is dropped (the body destroyed) and what arrived is returned.
 */
function readAll(body: Readable, attempt: Attempt, limit = Number.POSITIVE_INFINITY): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const done = () => resolve(parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8'));
    body.on('data', (chunk: Buffer) => {
      if (size === 0) attempt.firstToken();
      parts.push(chunk);
      size += chunk.length;
      if (size > limit) {
        body.removeAllListeners('data');
        body.on('error', ignore);
        body.destroy();
        done();
      }
    });
    body.on('end', done);
    body.on('error', reject);
  });
}
const ignore = (): void => {};

function dispatch(call: UpstreamCall, attempt: Attempt) {
  return getPool(call.provider).request({
    method: call.method ?? 'POST',
    path: upstreamPath(call.provider.baseUrl, call.path),
    headers: call.headers,
    body: call.method === 'GET' ? undefined : call.body,
    signal: attempt.signal.asAbortSignal(),
  });
}

/** A JSON request/response. First-token timer: until the first body byte. */
export async function postJson(call: UpstreamCall): Promise<{ json: unknown; headers: HeaderBag }> {
  const attempt = new Attempt(call.provider.type, call.opts.signal, call.opts.timeouts);
  try {
    attempt.throwIfAborted(false);
    const res = await dispatch(call, attempt);
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    const text = await readAll(res.body, attempt, ok ? Number.POSITIVE_INFINITY : ERROR_BODY_LIMIT);
    if (!ok) throw httpError(call.provider.type, res.statusCode, res.headers, text);
    try {
      return { json: JSON.parse(text), headers: res.headers };
    } catch {
      throw new ProviderError(
        'server_error',
        `${call.provider.type} upstream returned invalid JSON (${text.length} bytes)`,
        res.statusCode,
      );
    }
  } catch (err) {
    throw attempt.mapError(err, false);
  } finally {
    attempt.finish();
  }
}

export interface OpenStream {
  body: Readable;
  headers: HeaderBag;
  attempt: Attempt;
}

/** Opens a streaming response; resolves on 2xx headers. The caller must `attempt.finish()`. */
export async function openStream(call: UpstreamCall): Promise<OpenStream> {
  const attempt = new Attempt(call.provider.type, call.opts.signal, call.opts.timeouts);
  try {
    attempt.throwIfAborted(false);
    const res = await dispatch(call, attempt);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const text = await readAll(res.body, attempt, ERROR_BODY_LIMIT);
      throw httpError(call.provider.type, res.statusCode, res.headers, text);
    }
    return { body: res.body, headers: res.headers, attempt };
  } catch (err) {
    attempt.finish();
    throw attempt.mapError(err, false);
  }
}
