/**
 * Collects a request body with a hard cap. The cap is checked against Content-Length up front and
 * against the bytes received as they arrive, so an oversize body is refused as soon as it is known
 * to be too large and the rest is never buffered (the connection is closed after the 413).
 * Must be called synchronously from the uWS route callback (onData cannot be attached later).
 */
import { GatewayError, payloadTooLarge } from '../errors.js';
import type { Exchange } from './exchange.js';

export function readBody(ex: Exchange, limit: number): Promise<Buffer> {
  const declared = ex.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    // Still register onData so uWS does not complain; we reject before any byte is kept.
    ex.res.onData(() => {});
    return Promise.reject(payloadTooLarge(limit));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    ex.onAbort(() => {
      if (settled) return;
      settled = true;
      reject(new GatewayError(499, 'invalid_request_error', 'client_closed_request', 'client disconnected'));
    });
    ex.res.onData((chunk, isLast) => {
      if (settled) return;
      size += chunk.byteLength;
      if (size > limit) {
        settled = true;
        parts.length = 0;
        reject(payloadTooLarge(limit));
        return;
      }
      // uWS reuses the ArrayBuffer after this callback returns: copy it.
      if (chunk.byteLength > 0) parts.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) {
        settled = true;
        resolve(parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
      }
    });
  });
}
