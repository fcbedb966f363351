/**
 * In-process fake ProviderAdapter for router unit tests: each target ("<provider>/<model>") gets a
 * script of steps, consumed one per call (the last step repeats). Honours the abort signal like a
 * real adapter would.
 */
import type { ChatChunk, ChatRequest, ChatResponse } from '../../../common/openai-types.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import type {
  CallOptions,
  ChatResult,
  ProviderAdapter,
  UpstreamStream,
  UpstreamTarget,
} from '../../../data-plane/providers/types.js';
import { ProviderError, type ProviderErrorKind } from '../../../data-plane/providers/types.js';

export type Step =
  | { ok: string; delayMs?: number }
  | { fail: ProviderErrorKind; status?: number; retryAfterMs?: number; message?: string; delayMs?: number }
  | { stream: string[]; failAfter?: number; firstChunkDelayMs?: number; chunkDelayMs?: number }
  | { hang: true };

export interface CallRecord {
  target: string;
  model: string;
  stream: boolean;
  signal: AbortSignal;
}

export class FakeAdapter implements ProviderAdapter {
  readonly calls: CallRecord[] = [];
  /** Upstream iterators closed early by the router (return() called). */
  closedEarly = 0;
  private readonly scripts = new Map<string, Step[]>();

  script(target: string, ...steps: Step[]): this {
    this.scripts.set(target, steps);
    return this;
  }

  private next(target: string): Step {
    const steps = this.scripts.get(target);
    if (!steps || steps.length === 0) return { ok: `hello from ${target}` };
    return steps.length > 1 ? (steps.shift() as Step) : steps[0];
  }

  async chat(req: ChatRequest, target: UpstreamTarget, opts: CallOptions): Promise<ChatResult> {
    const key = `${target.provider.id}/${target.model}`;
    this.calls.push({ target: key, model: target.model, stream: req.stream === true, signal: opts.signal });
    const step = this.next(key);
    if ('hang' in step) return new Promise((_, reject) => onAbort(opts.signal, reject));
    if ('fail' in step) {
      await delay(step.delayMs ?? 0, opts.signal);
      throw new ProviderError(
        step.fail,
        step.message ?? `${step.fail} from ${key}`,
        step.status ?? null,
        step.retryAfterMs ?? null,
      );
    }
    if ('ok' in step) {
      await delay(step.delayMs ?? 0, opts.signal);
      if (req.stream) return { type: 'stream', stream: this.stream(target, [step.ok], opts) };
      return { type: 'json', response: completion(target.model, step.ok), usage: usage(5, 3) };
    }
    return { type: 'stream', stream: this.stream(target, step.stream, opts, step) };
  }

  async embeddings(_req: unknown, target: UpstreamTarget, opts: CallOptions) {
    const key = `${target.provider.id}/${target.model}`;
    this.calls.push({ target: key, model: target.model, stream: false, signal: opts.signal });
    const step = this.next(key);
    if ('fail' in step)
      throw new ProviderError(step.fail, `${step.fail} from ${key}`, step.status ?? null, step.retryAfterMs ?? null);
    return {
      response: {
        object: 'list' as const,
        data: [{ object: 'embedding' as const, index: 0, embedding: [0.1, 0.2] }],
        model: target.model,
        usage: { prompt_tokens: 4, total_tokens: 4 },
      },
      usage: usage(4, 0),
    };
  }

  private stream(
    target: UpstreamTarget,
    pieces: string[],
    opts: CallOptions,
    step: { failAfter?: number; firstChunkDelayMs?: number; chunkDelayMs?: number } = {},
  ): UpstreamStream {
    let sent = 0;
    const self = this;
    async function* gen(): AsyncGenerator<ChatChunk> {
      let completed = false;
      let threw = false;
      try {
        for (let i = 0; i < pieces.length; i++) {
          await delay(i === 0 ? (step.firstChunkDelayMs ?? 0) : (step.chunkDelayMs ?? 0), opts.signal);
          if (step.failAfter !== undefined && i >= step.failAfter) {
            throw new ProviderError('connection', 'connection reset mid-stream', null, null, i > 0);
          }
          sent++;
          yield chunk(target.model, pieces[i]);
        }
        completed = true;
      } catch (err) {
        threw = true;
        throw err;
      } finally {
        if (!completed && !threw) self.closedEarly++;
      }
    }
    const it = gen();
    return Object.assign(it, { usage: (): NormalizedUsage => usage(5, sent) });
  }
}

export const usage = (prompt: number, output: number): NormalizedUsage => ({
  promptTokens: prompt,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: output,
  source: 'provider',
});

export function completion(model: string, text: string): ChatResponse {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  };
}

export function chunk(model: string, text: string): ChatChunk {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
  };
}

function onAbort(signal: AbortSignal, reject: (e: unknown) => void): void {
  const fail = () => reject(new ProviderError('connection', 'aborted', null));
  if (signal.aborted) fail();
  else signal.addEventListener('abort', fail, { once: true });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0)
    return signal.aborted ? Promise.reject(new ProviderError('connection', 'aborted', null)) : Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    onAbort(signal, (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}
