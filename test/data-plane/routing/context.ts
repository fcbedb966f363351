/** Builds RequestContexts for stage unit tests (what the server would build). */
import type { ChatRequest, EmbeddingsRequest } from '../../../common/openai-types.js';
import type { Snapshot } from '../../../common/snapshot.js';
import { type Endpoint, newMeta, type RequestContext } from '../../../data-plane/pipeline/types.js';
import { sha256, TEST_KEY } from '../../helpers/snapshot.js';

export interface CtxOptions {
  route?: string;
  stream?: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  body?: Partial<ChatRequest> | EmbeddingsRequest;
  endpoint?: Endpoint;
  keyHash?: string;
}

let seq = 0;

export function makeCtx(snapshot: Snapshot, opts: CtxOptions = {}): RequestContext {
  const routeName = opts.route ?? Object.keys(snapshot.routes)[0];
  const stream = opts.stream ?? false;
  const endpoint = opts.endpoint ?? 'chat';
  const body =
    endpoint === 'embeddings'
      ? (opts.body as EmbeddingsRequest)
      : ({ model: routeName, messages: [{ role: 'user', content: 'Say hello' }], stream, ...opts.body } as ChatRequest);
  const keyHash = opts.keyHash ?? sha256(TEST_KEY);
  return {
    id: `req-${++seq}`,
    receivedAt: Date.now(),
    snapshot,
    endpoint,
    headers: opts.headers ?? {},
    signal: opts.signal ?? new AbortController().signal,
    presentedKeyHash: keyHash,
    key: snapshot.keys[keyHash] ?? null,
    route: snapshot.routes[routeName] ?? null,
    body,
    stream,
    responseHeaders: {},
    meta: newMeta(),
  };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
