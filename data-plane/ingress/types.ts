/**
 * An ingress is one client-facing API dialect. It turns a parsed JSON body into the internal
 * OpenAI-shaped request, and renders the pipeline's Outcome (and errors) back in its own dialect.
 * The server core is the same for all of them.
 */
import type { ChatChunk, ChatRequest, EmbeddingsRequest } from '../../common/openai-types.js';
import type { GatewayError } from '../errors.js';
import type { Endpoint, RequestContext } from '../pipeline/types.js';

export interface ParsedRequest {
  body: ChatRequest | EmbeddingsRequest;
  stream: boolean;
}

/**
 * Encodes one stream's chunks synchronously (the server pulls the chunks itself, so there is no
 * async generator layer per dialect in the per-chunk path).
 */
export interface StreamEncoder {
  /** The frames for one chunk ('' when it produces none). */
  chunk(chunk: ChatChunk): string;
  /** The terminal frame(s) of a cleanly completed stream. */
  end(): string;
}

export interface Ingress {
  readonly endpoint: Endpoint;
  /** Shape checks and translation; throws a GatewayError (400 with `param`) on a bad request. */
  parse(json: unknown): ParsedRequest;
  /** Renders a JSON outcome's body (status stays the outcome's). */
  renderJson(status: number, body: unknown, ctx: RequestContext): unknown;
  /** A fresh encoder of one stream's chunks into this dialect's serialized SSE frames. */
  streamEncoder(ctx: RequestContext): StreamEncoder;
  /** The SSE frame that ends a stream which failed mid-way (no clean terminator follows). */
  errorFrame(err: GatewayError): string;
  /** The JSON error body for a failed request. */
  errorBody(err: GatewayError): unknown;
}
