/**
 * Serving one inference request (chat, embeddings, Anthropic messages): read and parse the body,
 * build the RequestContext on the snapshot pinned at arrival, run the pipeline, render its Outcome
 * in the ingress's dialect. The server never changes when stages are added.
 */
import type { Snapshot } from '../../common/snapshot.js';
import { badRequest, type GatewayError } from '../errors.js';
import type { Ingress } from '../ingress/types.js';
import { type Endpoint, newMeta, type Outcome, type RequestContext } from '../pipeline/types.js';
import { readBody } from './body.js';
import { presentedKeyHash } from './credentials.js';
import type { ServerDeps } from './deps.js';
import { snapshotNotLoaded, toGatewayError } from './errors.js';
import type { Exchange } from './exchange.js';
import { finishRequest } from './request-log.js';
import { closeEarly, pumpStream } from './stream.js';

/**
 * The RequestContext of one exchange. A class rather than an object literal with a `signal`
 * getter: a literal with an accessor is created by a slow runtime path, and every stage reads
 * this object many times. The signal is still created lazily (cache hits and refusals never ask).
 */
class ExchangeContext implements RequestContext {
  readonly id: string;
  readonly receivedAt: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly presentedKeyHash: string | null;
  key: RequestContext['key'] = null;
  route: RequestContext['route'] = null;
  readonly responseHeaders: Record<string, string> = {};
  readonly meta = newMeta();

  constructor(
    private readonly ex: Exchange,
    readonly snapshot: Snapshot,
    readonly endpoint: Endpoint,
    public body: RequestContext['body'],
    readonly stream: boolean,
  ) {
    this.id = ex.requestId;
    this.receivedAt = ex.receivedAt;
    this.headers = ex.headers;
    this.presentedKeyHash = presentedKeyHash(ex.headers);
  }

  get signal(): AbortSignal {
    return this.ex.signal;
  }
}

/** Entry point from the uWS route callback (synchronous part: snapshot pin and onData). */
export function serveInference(ex: Exchange, ingress: Ingress, deps: ServerDeps): void {
  const snapshot = deps.snapshots.current();
  if (!snapshot) {
    renderError(ex, ingress, snapshotNotLoaded());
    finishRequest(ex, deps.logger, {
      endpoint: ingress.endpoint,
      ctx: null,
      stream: false,
      outcome: 'error',
      error: null,
    });
    return;
  }
  deps.inFlight.add(ex);
  const body = readBody(ex, snapshot.gateway.maxBodyBytes);
  run(ex, ingress, deps, snapshot, body).finally(() => deps.inFlight.delete(ex));
}

async function run(
  ex: Exchange,
  ingress: Ingress,
  deps: ServerDeps,
  snapshot: Snapshot,
  bodyPromise: Promise<Buffer>,
): Promise<void> {
  let ctx: RequestContext | null = null;
  let stream = false;
  try {
    const raw = await bodyPromise;
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest(
        'We could not parse the JSON body of your request. The body must be valid JSON.',
        null,
        'invalid_json',
      );
    }
    const parsed = ingress.parse(json);
    stream = parsed.stream;
    ctx = new ExchangeContext(ex, snapshot, ingress.endpoint, parsed.body, stream);
    const outcome = await deps.pipeline.run(ctx);
    await render(ex, ingress, deps, ctx, outcome);
  } catch (err) {
    const error = toGatewayError(err, deps.logger, ex.requestId);
    // A 413 may leave unread body bytes on the connection: close it rather than parse them as a request.
    renderError(ex, ingress, error, ctx?.responseHeaders, error.status === 413);
    finishRequest(ex, deps.logger, {
      endpoint: ingress.endpoint,
      ctx,
      stream,
      outcome: ex.aborted ? 'aborted' : 'error',
      error,
    });
  }
}

async function render(ex: Exchange, ingress: Ingress, deps: ServerDeps, ctx: RequestContext, outcome: Outcome) {
  if (outcome.type === 'json') {
    if (!ex.aborted) {
      const body = ingress.renderJson(outcome.status, outcome.body, ctx);
      ex.sendJson(outcome.status, body, ctx.responseHeaders);
    } else ctx.meta.status ??= 'aborted';
    finishRequest(ex, deps.logger, {
      endpoint: ingress.endpoint,
      ctx,
      stream: false,
      outcome: ex.aborted ? 'aborted' : 'ok',
      error: null,
    });
    return;
  }
  if (ex.aborted) {
    ctx.meta.status ??= 'aborted';
    await closeEarly(outcome.chunks[Symbol.asyncIterator](), true);
    finishRequest(ex, deps.logger, { endpoint: ingress.endpoint, ctx, stream: true, outcome: 'aborted', error: null });
    return;
  }
  ex.onAbort(() => {
    // Seen by the stages' finally blocks (accounting) before return() reaches them.
    ctx.meta.status ??= 'aborted';
  });
  const encoder = ingress.streamEncoder(ctx);
  const end = await pumpStream(ex, outcome.chunks, encoder, ingress, ctx.responseHeaders, deps.logger);
  if (end.kind === 'failed-before-start') {
    renderError(ex, ingress, end.error, ctx.responseHeaders);
  }
  const error = end.kind === 'failed-before-start' || end.kind === 'failed-mid-stream' ? end.error : null;
  finishRequest(ex, deps.logger, {
    endpoint: ingress.endpoint,
    ctx,
    stream: true,
    outcome: end.kind === 'complete' ? 'ok' : end.kind === 'failed-before-start' ? 'error' : end.kind,
    error,
  });
}

export function renderError(
  ex: Exchange,
  ingress: Ingress,
  error: GatewayError,
  extraHeaders: Record<string, string> = {},
  close = false,
): void {
  ex.sendJson(error.status, ingress.errorBody(error), { ...extraHeaders, ...error.headers }, close);
}
