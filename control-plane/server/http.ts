/** uWebSockets.js request/response plumbing: header capture, bounded body reads, safe replies. */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { HttpRequestInfo, HttpResult } from './types.js';

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** Reads everything uWS needs synchronously (it invalidates `req` after the first await). */
export function captureRequest(req: HttpRequest): { query: URLSearchParams; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  req.forEach((k, v) => {
    headers[k.toLowerCase()] = v;
  });
  return { query: new URLSearchParams(req.getQuery() ?? ''), headers };
}

export function readBody(res: HttpResponse, limit: number, aborted: () => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > limit) {
        done = true;
        reject(new BodyTooLargeError(`body larger than ${limit} bytes`));
        return;
      }
      // uWS reuses the chunk's memory after this callback: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk.slice(0))));
      if (isLast) {
        done = true;
        if (aborted()) reject(new Error('aborted'));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
  });
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  422: '422 Unprocessable Entity',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

export function send(res: HttpResponse, result: HttpResult, aborted: () => boolean): void {
  if (aborted()) return;
  res.cork(() => {
    res
      .writeStatus(STATUS_TEXT[result.status] ?? String(result.status))
      .writeHeader('content-type', result.contentType)
      .writeHeader('cache-control', 'no-store')
      .end(result.body);
  });
}

export function json(status: number, value: unknown): HttpResult {
  return { status, body: JSON.stringify(value), contentType: 'application/json' };
}

export function errorResult(status: number, code: string, message: string): HttpResult {
  return json(status, { error: { code, message } });
}

export type { HttpRequestInfo };
