/**
 * Serializes one request into a single string (head + body), so it goes out in one socket write.
 * `host` and `content-length` are ours (the latter from the body's UTF-8 byte length); a caller's
 * host / content-length / transfer-encoding / connection headers are dropped, never duplicated.
 * Names and values are checked so a bad configured header cannot inject lines into the request.
 */
import { H1Error } from './errors.js';

export interface H1Request {
  method: string;
  /** Path and query, starting with "/". */
  path: string;
  headers: Record<string, string>;
  /** Sent with a Content-Length; undefined sends no body (GET). */
  body?: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
const BAD_TARGET = /[\s\0]/;
const OURS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);

export function serializeRequest(req: H1Request, hostHeader: string): string {
  if (!TOKEN.test(req.method)) throw invalid(`invalid method ${JSON.stringify(req.method)}`);
  if (req.path.charCodeAt(0) !== 0x2f || BAD_TARGET.test(req.path)) {
    throw invalid(`invalid request path ${JSON.stringify(req.path.slice(0, 100))}`);
  }
  let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${hostHeader}\r\n`;
  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name]!;
    if (OURS.has(name.toLowerCase())) continue;
    if (!TOKEN.test(name)) throw invalid(`invalid header name ${JSON.stringify(name.slice(0, 100))}`);
    if (BAD_VALUE.test(value)) throw invalid(`header ${name} has a line break or NUL in its value`);
    head += `${name}: ${value}\r\n`;
  }
  if (req.body === undefined) return `${head}\r\n`;
  return `${head}content-length: ${Buffer.byteLength(req.body)}\r\n\r\n${req.body}`;
}

function invalid(message: string): H1Error {
  return new H1Error('H1_INVALID_REQUEST', message);
}
