/**
 * Maps upstream failures to ProviderError kinds, the only thing the router looks at when it
 * decides between retry, fallback, context-window fallback and giving up. The provider's own
 * message is kept (never the request body or a credential).
 */
import type { ProviderType } from '../../../common/snapshot.js';
import { ProviderError, type ProviderErrorKind } from '../types.js';

export type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After in ms from `retry-after-ms` (OpenAI/Anthropic) or `retry-after` (seconds or HTTP date). */
export function parseRetryAfter(headers: HeaderBag, now = Date.now()): number | null {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  }
  const ra = header(headers, 'retry-after');
  if (ra === undefined || ra.trim() === '') return null;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? Math.ceil(secs * 1000) : null;
  const date = Date.parse(ra);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/**
 * Phrases providers use when the prompt does not fit: OpenAI/vLLM ("maximum context length"),
 * OpenAI code context_length_exceeded, Anthropic ("prompt is too long"), Gemini ("input token
 * count … exceeds the maximum"; "input length and max_tokens exceed context limit"), llama.cpp ("exceeds the available context size"), Ollama
 * ("context length"/"input length exceeds").
 */
const CONTEXT_PATTERNS = [
  /maximum context length/i,
  /context[_ ]length[_ ]exceeded/i,
  /prompt is too long/i,
  /input token count.*exceeds/i,
  /exceeds the maximum number of tokens/i,
  /exceeds? the available context size/i,
  /context window/i,
  /input length exceeds/i,
  /exceed context limit/i,
];

export function isContextLengthMessage(message: string, code?: string | null): boolean {
  if (code === 'context_length_exceeded' || code === 'exceed_context_size_error') return true;
  return CONTEXT_PATTERNS.some((re) => re.test(message));
}

interface ParsedErrorBody {
  message: string;
  code: string | null;
  type: string | null;
}

/** Pulls message/code/type out of OpenAI, Anthropic and Gemini error bodies. */
export function parseErrorBody(text: string): ParsedErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500).trim(), code: null, type: null };
  }
  const root = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | undefined;
  const err = (root && typeof root.error === 'object' && root.error !== null ? root.error : root) as
    | Record<string, unknown>
    | undefined;
  if (!err) return { message: text.slice(0, 500), code: null, type: null };
  const message = typeof err.message === 'string' ? err.message : typeof err.error === 'string' ? err.error : text;
  const code = typeof err.code === 'string' ? err.code : typeof err.status === 'string' ? err.status : null;
  const type = typeof err.type === 'string' ? err.type : null;
  return { message: message.slice(0, 2000), code, type };
}

function kindForStatus(status: number, body: ParsedErrorBody): ProviderErrorKind {
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status === 529 || body.type === 'overloaded_error') return 'server_error';
  if (status >= 500) return 'server_error';
  if (isContextLengthMessage(body.message, body.code)) return 'context_length';
  return 'bad_request';
}

/** A non-2xx upstream response → ProviderError (kind by status, then by the provider's message). */
export function httpError(
  type: ProviderType,
  status: number,
  headers: HeaderBag,
  bodyText: string,
  midStream = false,
): ProviderError {
  const body = parseErrorBody(bodyText);
  const kind = kindForStatus(status, body);
  const retryAfter = kind === 'rate_limit' || kind === 'server_error' ? parseRetryAfter(headers) : null;
  const msg = `${type} upstream returned ${status}: ${body.message || 'no message'}`;
  return new ProviderError(kind, msg, status, retryAfter, midStream);
}

/**
 * An error event inside a 200 SSE stream (OpenAI `{"error":…}`, Anthropic `event: error`,
 * Gemini `{"error":…}`): kind from the error type/code, since there is no status.
 */
export function streamErrorEvent(type: ProviderType, data: string, midStream: boolean): ProviderError {
  const body = parseErrorBody(data);
  const t = `${body.type ?? ''} ${body.code ?? ''}`.toLowerCase();
  let kind: ProviderErrorKind = 'server_error';
  let status: number | null = null;
  if (/overloaded|server_error|api_error|internal|unavailable/.test(t)) kind = 'server_error';
  else if (/rate_limit|resource_exhausted/.test(t)) {
    kind = 'rate_limit';
    status = 429;
  } else if (isContextLengthMessage(body.message, body.code)) kind = 'context_length';
  else if (/invalid_request|invalid_argument/.test(t)) kind = 'bad_request';
  return new ProviderError(
    kind,
    `${type} stream error: ${body.message || data.slice(0, 200)}`,
    status,
    null,
    midStream,
  );
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'H1_SOCKET_CLOSED',
  'H1_PARSE_ERROR',
  'H1_HEADERS_TOO_LARGE',
  'H1_POOL_CLOSED',
  'H1_INVALID_REQUEST',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RESPONSE_STATUS_CODE',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);
const TIMEOUT_CODES = new Set([
  'H1_CONNECT_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A transport failure (no usable HTTP response) → timeout or connection. */
export function networkError(type: ProviderType, err: unknown, midStream: boolean): ProviderError {
  if (err instanceof ProviderError) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code && TIMEOUT_CODES.has(code)) {
    return new ProviderError('timeout', `${type} upstream ${code}: ${message}`, null, null, midStream);
  }
  const what = code && CONNECTION_CODES.has(code) ? code : (code ?? 'connection failed');
  return new ProviderError('connection', `${type} upstream ${what}: ${message}`, null, null, midStream);
}
