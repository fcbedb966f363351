/**
 * The provider adapter contract. One folder per provider type under data-plane/providers/,
 * each with the same files (request.ts, response.ts, stream.ts, index.ts); the router calls
 * adapters only through this interface and sees only the OpenAI format.
 */
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../../common/openai-types.js';
import type { ProviderRecord, Timeouts } from '../../common/snapshot.js';
import type { NormalizedUsage } from '../../common/usage.js';

export interface UpstreamTarget {
  provider: ProviderRecord;
  /** Upstream model name. */
  model: string;
}

export interface CallOptions {
  /** Aborts the upstream request (client gone, total timeout, router gave up). */
  signal: AbortSignal;
  /** Per-attempt timeouts: connect, first token (stream: first chunk; non-stream: headers), total. */
  timeouts: Timeouts;
  requestId: string;
}

/** A normalized upstream stream. Iterating yields OpenAI chunks; a failure mid-way throws ProviderError. */
export interface UpstreamStream extends AsyncIterable<ChatChunk> {
  /**
   * Final usage once iteration ended (completed, failed or aborted): the provider's usage when it
   * sent one, otherwise the gateway's own count of the prompt and the text streamed so far.
   */
  usage(): NormalizedUsage;
}

export type ChatResult =
  | { type: 'json'; response: ChatResponse; usage: NormalizedUsage }
  | { type: 'stream'; stream: UpstreamStream };

export interface ProviderAdapter {
  chat(req: ChatRequest, target: UpstreamTarget, opts: CallOptions): Promise<ChatResult>;
  embeddings(
    req: EmbeddingsRequest,
    target: UpstreamTarget,
    opts: CallOptions,
  ): Promise<{ response: EmbeddingsResponse; usage: NormalizedUsage }>;
}

/** Why an upstream call failed; the router decides retry/fallback from `kind`. */
export type ProviderErrorKind =
  | 'rate_limit' // 429
  | 'server_error' // 5xx
  | 'timeout' // connect / first token / total
  | 'connection' // refused, reset, closed mid-stream
  | 'context_length' // prompt does not fit the model's context window
  | 'bad_request' // 400/404/422: the request itself is wrong; not retryable
  | 'auth'; // 401/403 from the provider (gateway's credential is wrong)

export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    /** Upstream HTTP status, or null when there was no response. */
    readonly status: number | null,
    /** From Retry-After / retry-after-ms, when the provider sent one. */
    readonly retryAfterMs: number | null = null,
    /** True once any chunk was produced (the router can no longer fall back transparently). */
    readonly midStream = false,
  ) {
    super(message);
  }
}
