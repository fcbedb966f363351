/**
 * Typed failures of the HTTP/1.1 upstream client. `code` is what providers/shared/errors.ts maps
 * to a ProviderError kind (H1_CONNECT_TIMEOUT → timeout, everything else → connection); socket
 * errors from Node (ECONNREFUSED, ECONNRESET, EPIPE, TLS codes) are passed through unchanged.
 */
export type H1ErrorCode =
  /** The TCP/TLS connection was not established within the pool's connect timeout. */
  | 'H1_CONNECT_TIMEOUT'
  /** The server closed the connection before the response was complete. */
  | 'H1_SOCKET_CLOSED'
  /** The status line, a header, a chunk size or the framing is not valid HTTP/1.1. */
  | 'H1_PARSE_ERROR'
  /** The response head (status line + headers, or the trailers) exceeds the size limit. */
  | 'H1_HEADERS_TOO_LARGE'
  /** The pool was closed or destroyed while the request waited or ran. */
  | 'H1_POOL_CLOSED'
  /** The request itself cannot be sent (a header value with a line break, a bad path). */
  | 'H1_INVALID_REQUEST';

export class H1Error extends Error {
  override name = 'H1Error';
  constructor(
    readonly code: H1ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const parseError = (message: string): H1Error => new H1Error('H1_PARSE_ERROR', message);
