/**
 * Fake Gemini API: POST {base}/models/{model}:generateContent, :streamGenerateContent?alt=sse
 * (one GenerateContentResponse per SSE event; the last one carries finishReason and the full
 * usageMetadata; no end marker) and :batchEmbedContents. Errors use
 * {"error":{code,message,status}}. Base URL: `${origin}/v1beta`.
 */
import {
  type Exchange,
  type FakeReply,
  type ProviderModule,
  piecesOf,
  sse,
  startFakeServer,
  usageOf,
} from './server.js';
import type { FakeBehavior, FakeServer } from './types.js';

function statusName(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return 'INTERNAL';
  }
}

const errorBody = (code: number, message: string, status: string) => ({ error: { code, message, status } });

function usageMetadata(b: FakeBehavior) {
  const u = usageOf(b);
  if (!u) return undefined;
  const m: Record<string, number> = {
    promptTokenCount: u.prompt,
    candidatesTokenCount: u.completion,
    totalTokenCount: u.prompt + u.completion + u.thoughts,
  };
  if (u.cached) m.cachedContentTokenCount = u.cached;
  if (u.thoughts) m.thoughtsTokenCount = u.thoughts;
  return m;
}

function generate(ex: Exchange, model: string, stream: boolean): FakeReply {
  const b = ex.behavior;
  const pieces = piecesOf(b);
  const finishReason = b.finishReason ?? 'STOP';
  const calls = (b.toolCalls ?? []).map((t) => ({ functionCall: { name: t.name, args: t.arguments } }));
  const usage = usageMetadata(b);
  const base = { modelVersion: model, responseId: 'fake-response-1' };
  if (!stream) {
    const parts: unknown[] = [];
    if (pieces.length) parts.push({ text: pieces.join('') });
    parts.push(...calls);
    return {
      kind: 'json',
      body: {
        candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
        usageMetadata: usage,
        ...base,
      },
    };
  }
  const partial = usage
    ? { promptTokenCount: usage.promptTokenCount, totalTokenCount: usage.promptTokenCount }
    : undefined;
  const event = (parts: unknown[], extra: Record<string, unknown> = {}) =>
    sse({ candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }], usageMetadata: partial, ...base });
  const content = pieces.map((p) => event([{ text: p }]));
  for (const c of calls) content.push(event([c]));
  return {
    kind: 'stream',
    prelude: [],
    content,
    closing: [],
    end: [
      sse({
        candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason, index: 0 }],
        usageMetadata: usage,
        ...base,
      }),
    ],
    errorEvent: sse(errorBody(500, b.errorMessage ?? 'An internal error has occurred.', b.errorType ?? 'INTERNAL')),
  };
}

function batchEmbed(ex: Exchange): FakeReply {
  const reqs = (ex.body.requests ?? []) as Array<{
    content?: { parts?: Array<{ text?: string }> };
    outputDimensionality?: number;
  }>;
  return {
    kind: 'json',
    body: {
      embeddings: reqs.map((r) => {
        const text = r.content?.parts?.map((p) => p.text ?? '').join('') ?? '';
        const dims = r.outputDimensionality ?? 8;
        return {
          values: Array.from({ length: dims }, (_, i) => (text.charCodeAt(i % Math.max(1, text.length)) || 0) / 1000),
        };
      }),
    },
  };
}

export const geminiModule: ProviderModule = {
  basePath: '/v1beta',
  errorReply(status, b) {
    return {
      kind: 'json',
      status,
      body: errorBody(status, b.errorMessage ?? `fake gemini error ${status}`, b.errorType ?? statusName(status)),
    };
  },
  contextReply(b) {
    return {
      kind: 'json',
      status: 400,
      body: errorBody(
        400,
        b.errorMessage ?? 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
        'INVALID_ARGUMENT',
      ),
    };
  },
  reply(ex) {
    const m = /\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/.exec(ex.url.pathname);
    if (!m) return null;
    const model = decodeURIComponent(m[1]);
    if (m[2] === 'batchEmbedContents') return batchEmbed(ex);
    return generate(ex, model, m[2] === 'streamGenerateContent');
  },
};

export function startFakeGemini(initial?: FakeBehavior): Promise<FakeServer> {
  return startFakeServer(geminiModule).then((s) => {
    if (initial) s.setBehavior(initial);
    return s;
  });
}
