/**
 * Errors the router hands to clients. Provider failures arrive as ProviderError (kind + status);
 * the router decides retry/fallback from the kind and, when it gives up, maps the last failure
 * to a GatewayError with an honest status: the client's own mistake stays a 4xx, the gateway's
 * upstream trouble becomes 502/504, and "no capacity right now" becomes 429/503 with Retry-After.
 */
import { GatewayError } from '../errors.js';
import { ProviderError } from '../providers/types.js';

/**
 * Every target of the route and of its fallbacks is rate-limited, cooling down after a 429, refused
 * by its provider-account gate, or behind an open circuit. The queue stage recognises this type
 * (route `onExhausted: queue`); otherwise the client gets it as 429/503 with Retry-After.
 */
export class AllTargetsExhaustedError extends GatewayError {
  override name = 'AllTargetsExhaustedError';
  constructor(
    /** Milliseconds until the soonest target is expected to accept traffic again. */
    readonly retryAfterMs: number,
    /** True when only rate limits (no open circuit) caused the exhaustion. */
    readonly rateLimitedOnly: boolean,
    /** The route the client asked for. */
    readonly routeName: string,
  ) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(
      rateLimitedOnly ? 429 : 503,
      rateLimitedOnly ? 'rate_limit_error' : 'service_unavailable',
      'all_targets_exhausted',
      `Every upstream target of route '${routeName}' and its fallbacks is ${
        rateLimitedOnly ? 'rate-limited' : 'rate-limited or unavailable'
      }; retry after ${seconds}s`,
      null,
      { 'retry-after': String(seconds) },
    );
  }
}

/** The client disconnected (or the request was otherwise aborted); nothing more is attempted. */
export const clientClosed = (): GatewayError =>
  new GatewayError(499, 'invalid_request_error', 'client_closed_request', 'The client closed the request');

/** Maps the provider failure the router gave up on to what the client sees. */
export function toClientError(err: ProviderError, provider: string): GatewayError {
  const detail = `${provider}: ${err.message}`;
  switch (err.kind) {
    case 'bad_request':
      // The request itself is wrong; pass the provider's explanation through as a client error.
      return new GatewayError(400, 'invalid_request_error', 'upstream_bad_request', err.message);
    case 'context_length':
      return new GatewayError(
        400,
        'invalid_request_error',
        'context_length_exceeded',
        `The prompt does not fit the model's context window (${err.message})`,
        'messages',
      );
    case 'auth':
      // The gateway's provider credential is wrong: not the client's fault, so 502 (never 401).
      return new GatewayError(
        502,
        'api_error',
        'upstream_auth_error',
        `Upstream provider rejected the gateway's credentials (${provider})`,
      );
    case 'timeout':
      return new GatewayError(504, 'api_error', 'upstream_timeout', `Upstream timed out: ${detail}`);
    case 'connection':
      return new GatewayError(502, 'api_error', 'upstream_connection_error', `Upstream connection failed: ${detail}`);
    case 'rate_limit': {
      const headers: Record<string, string> = {};
      if (err.retryAfterMs !== null) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
      return new GatewayError(
        429,
        'rate_limit_error',
        'upstream_rate_limited',
        `Upstream rate limit: ${detail}`,
        null,
        headers,
      );
    }
    default:
      return new GatewayError(502, 'api_error', 'upstream_error', `Upstream error: ${detail}`);
  }
}

/** A failure after the first chunk reached the client: the SSE stream ends with this error event. */
export function midStreamError(err: unknown, provider: string): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof ProviderError) {
    const code = err.kind === 'timeout' ? 'upstream_timeout' : 'upstream_stream_error';
    return new GatewayError(
      err.kind === 'timeout' ? 504 : 502,
      'api_error',
      code,
      `Upstream stream failed after it started (${provider}): ${err.message}`,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new GatewayError(
    502,
    'api_error',
    'upstream_stream_error',
    `Upstream stream failed (${provider}): ${message}`,
  );
}

/** Normalises anything an adapter threw into a ProviderError (adapters should only throw those). */
export function asProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError('server_error', `adapter failure: ${message}`, null);
}
