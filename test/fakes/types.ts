/** Shared types of the fake provider servers (see index.ts for the overview). */
import type { IncomingHttpHeaders } from 'node:http';

/** Token usage in normalized terms; each fake renders it in its provider's wire format. */
export interface FakeUsage {
  /** All prompt tokens, including cached/cache-write ones (default 10). */
  prompt?: number;
  /** Completion tokens (default: the number of streamed text pieces, at least 1). */
  completion?: number;
  /** Of prompt: read from the prompt cache (OpenAI cached_tokens, Anthropic cache_read, Gemini cachedContent). */
  cached?: number;
  /** Of prompt: written to the prompt cache (Anthropic cache_creation_input_tokens only). */
  cacheWrite?: number;
  /** Gemini thoughtsTokenCount (reported separately from completion). */
  thoughts?: number;
}

export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface FakeBehavior {
  /** Reply text (default "Hello from the fake provider!"). */
  text?: string;
  /** Stream pieces, one content event each (default: `text` split before spaces). */
  chunks?: string[];
  /** Answer with these tool calls (after any text). */
  toolCalls?: FakeToolCall[];
  /** Usage to report; `null` = report none (stream and JSON). */
  usage?: FakeUsage | null;
  /** Provider-native finish/stop reason, e.g. "length", "max_tokens", "MAX_TOKENS". */
  finishReason?: string;

  /** Answer with this HTTP status and the provider's error body. */
  status?: number;
  errorMessage?: string;
  /** Provider-native error type (Anthropic error.type, OpenAI error.type, Gemini error.status). */
  errorType?: string;
  /** Retry-After header value (seconds or HTTP date). */
  retryAfter?: string;
  /** retry-after-ms header value. */
  retryAfterMs?: number;
  /** Answer 400 with the provider's real context-window error. */
  contextLengthError?: boolean;

  /** Destroy the socket after reading the request, before any response byte. */
  resetBeforeResponse?: boolean;
  /** Accept the request and never answer (until the client gives up or the fake closes). */
  hang?: boolean;
  /** Delay before the response headers. */
  headersDelayMs?: number;
  /** Stream: delay after the headers before the first event. JSON: delay before the response. */
  firstChunkDelayMs?: number;
  /** Stream: delay between content deltas (the prelude, e.g. message_start, is sent at once). */
  chunkDelayMs?: number;
  /** Stream: destroy the socket after this many content deltas (text or tool-argument events). */
  resetAfterChunks?: number;
  /** Stream: send the provider's in-stream error event after this many content deltas, then end. */
  errorEventAfterChunks?: number;
  /** Stream: end the body without the provider's end marker ([DONE], message_stop, finishReason). */
  omitEnd?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse". */
  url: string;
  headers: IncomingHttpHeaders;
  /** The client's source port: equal ports on sequential requests mean a reused keep-alive connection. */
  remotePort: number;
  /** Parsed JSON body (or the raw string when it was not JSON). */
  body: unknown;
  /** True when the client closed the connection before the response was complete. */
  aborted: boolean;
  /** Resolves when the connection closed or the response finished. */
  closed: Promise<void>;
}

export interface FakeServer {
  /** Base URL to put in ProviderRecord.baseUrl for this provider type. */
  url: string;
  /** host:port origin without a path. */
  origin: string;
  port: number;
  requests: RecordedRequest[];
  /** Default behaviour for every following request (merged over the defaults). */
  setBehavior(b: FakeBehavior): void;
  /** One-shot behaviours, used in order by the next requests before the default applies again. */
  script(...bs: FakeBehavior[]): void;
  /** Forget requests, script and default behaviour. */
  reset(): void;
  close(): Promise<void>;
}
