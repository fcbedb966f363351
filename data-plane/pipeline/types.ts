/**
 * The request pipeline contract. A request flows through named stages, onion-style:
 *
 *   accounting → auth → guardrails → cache → queue → limits → upstream
 *
 * Each stage gets the context and `next` (the rest of the pipeline) and returns an Outcome.
 * A stage that needs to act after a stream ends (limits reconciliation, cache fill, cost
 * recording) wraps `outcome.chunks` in its own async generator and does that work in the
 * generator's `finally` — inner stages' `finally` runs first, so usage is known by then.
 * The server code never changes when a stage is added: see data-plane/pipeline/build.ts.
 */
import type { ChatChunk, ChatRequest, EmbeddingsRequest } from '../../common/openai-types.js';
import type { KeyRecord, RouteRecord, Snapshot } from '../../common/snapshot.js';
import type { NormalizedUsage } from '../../common/usage.js';
import type { RequestCost } from '../cost/request-cost.js';
import type { GatewayError } from '../errors.js';

/** Which ingress the request came through; the body is always normalized to OpenAI shape. */
export type Endpoint = 'chat' | 'embeddings' | 'messages';

export type CacheTier = 'hit-exact' | 'hit-semantic' | 'miss' | 'bypass' | 'off';

export type RequestStatus = 'ok' | 'error' | 'aborted' | 'rejected' | 'cached' | 'queued' | 'expired';

/** What stages learn about a request; the accounting stage turns it into one usage event. */
export interface RequestMeta {
  /** Input tokens counted by the gateway before the call (for reservations and guardrails). */
  inputTokensEstimate: number | null;
  provider: string | null;
  upstreamModel: string | null;
  /** Upstream attempts made (retries and fallbacks included). */
  attempts: number;
  /** True when a fallback route/model answered instead of the first choice. */
  degraded: boolean;
  cacheTier: CacheTier;
  cacheSimilarity: number | null;
  /** Cost a cache hit saved, in pico-dollars (what the original call cost). */
  cacheSavedPico: number;
  /** Set once by data-plane/cost/request-cost.ts so limits and accounting charge the same amount. */
  cost: RequestCost | null;
  /** Final usage; set by the upstream stage (or by the cache on a hit). */
  usage: NormalizedUsage | null;
  /** Epoch ms when the first byte of the answer was available. */
  firstTokenAt: number | null;
  status: RequestStatus | null;
  error: GatewayError | null;
  queueId: string | null;
  /** Counts of what guardrails redacted, by kind (never the values). */
  redactions: Record<string, number>;
}

export interface RequestContext {
  /** Request id, also sent back as x-request-id. */
  readonly id: string;
  /** Epoch ms when the request arrived. */
  readonly receivedAt: number;
  /** The snapshot pinned for this request's whole life (a hot swap does not change it). */
  readonly snapshot: Snapshot;
  readonly endpoint: Endpoint;
  /** Request headers, lowercased names. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Aborted when the client disconnects; pass it to upstream calls. Read-only for stages; work
   * that outlives the HTTP exchange (a queued run) re-binds it with `rebindSignal`.
   */
  readonly signal: AbortSignal;
  /** The presented secret's SHA-256 (hex), set by the server before auth runs. */
  readonly presentedKeyHash: string | null;
  /** Set by the auth stage. */
  key: KeyRecord | null;
  /** Set by the auth stage (resolved from body.model). */
  route: RouteRecord | null;
  /** OpenAI-shaped body; guardrails may replace it with a redacted copy. */
  body: ChatRequest | EmbeddingsRequest;
  readonly stream: boolean;
  /** Headers stages want on the response (x-sluice-*, x-ratelimit-*). */
  readonly responseHeaders: Record<string, string>;
  readonly meta: RequestMeta;
}

export type Outcome =
  /** A complete answer: chat.completion, embeddings list, or a 202 queue ticket. */
  | { type: 'json'; status: number; body: unknown }
  /** An SSE answer. The iterator throws a GatewayError if the stream fails mid-way. */
  | { type: 'stream'; chunks: AsyncIterable<ChatChunk> };

export type Next = () => Promise<Outcome>;

export interface Stage {
  readonly name: string;
  run(ctx: RequestContext, next: Next): Promise<Outcome>;
}

export function newMeta(): RequestMeta {
  return {
    inputTokensEstimate: null,
    provider: null,
    upstreamModel: null,
    attempts: 0,
    degraded: false,
    cacheTier: 'off',
    cacheSimilarity: null,
    cacheSavedPico: 0,
    cost: null,
    usage: null,
    firstTokenAt: null,
    status: null,
    error: null,
    queueId: null,
    redactions: {},
  };
}

/** Runs `stages` in order; the last stage must not call next. */
export function compose(stages: readonly Stage[]): (ctx: RequestContext) => Promise<Outcome> {
  return (ctx) => {
    const dispatch = (i: number): Promise<Outcome> => {
      const stage = stages[i];
      if (!stage) return Promise.reject(new Error('pipeline ended without a terminal stage'));
      return stage.run(ctx, () => dispatch(i + 1));
    };
    return dispatch(0);
  };
}

export type ChatContext = RequestContext & { body: ChatRequest };
export const isChat = (ctx: RequestContext): ctx is ChatContext => ctx.endpoint !== 'embeddings';

/**
 * Gives a context a new abort signal, for work that must outlive the client's HTTP exchange
 * (the queue answers 202, then runs the request later under its own signal). Returns false for
 * a frozen context, which then keeps the client's signal.
 */
export function rebindSignal(ctx: RequestContext, signal: AbortSignal): boolean {
  try {
    Object.defineProperty(ctx, 'signal', { value: signal, configurable: true, enumerable: true });
    return true;
  } catch {
    return false;
  }
}
