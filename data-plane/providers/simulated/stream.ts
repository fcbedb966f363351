/**
 * Streams a SimPlan as OpenAI chunks with the configured pacing: the first chunk after
 * `latencyMs`, then one chunk per piece every `interChunkMs`. Honours the attempt's first-token
 * and total timeouts (ProviderError 'timeout') and the caller's abort (rejects with its reason);
 * usage after an abort is the count of what was streamed.
 */
import type { ChatChunk, ChatRequest, ChunkDelta, FinishReason } from '../../../common/openai-types.js';
import type { SimulatedSettings, Timeouts } from '../../../common/snapshot.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import { nowSeconds } from '../shared/content.js';
import { toOpenAIUsage, UsageTracker } from '../shared/usage.js';
import { ProviderError, type UpstreamStream } from '../types.js';
import type { SimPlan } from './request.js';
import { simulatedUsage } from './response.js';

/** Resolves after `ms`; rejects with the signal's reason on abort, or with `timeout()` when `ms` would pass `deadline`. */
export function pace(ms: number, signal: AbortSignal, deadline: number, timeout: () => ProviderError): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const now = performance.now();
  const overDeadline = now + ms > deadline;
  const wait = overDeadline ? Math.max(0, deadline - now) : ms;
  if (wait <= 0 && !overDeadline) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      if (overDeadline) reject(timeout());
      else resolve();
    }, wait);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class SimulatedStream implements UpstreamStream {
  private readonly tracker: UsageTracker;
  private readonly keepUsage: boolean;
  private completed = false;
  private iterated = false;

  constructor(
    private readonly plan: SimPlan,
    req: ChatRequest,
    private readonly model: string,
    private readonly settings: SimulatedSettings,
    private readonly timeouts: Timeouts,
    private readonly signal: AbortSignal,
    private readonly startedAt: number,
  ) {
    this.tracker = new UsageTracker(req, model);
    this.keepUsage = req.stream_options?.include_usage === true;
  }

  usage(): NormalizedUsage {
    return this.completed ? simulatedUsage(this.plan) : this.tracker.usage();
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatChunk> {
    if (this.iterated) throw new Error('an UpstreamStream can be iterated only once');
    this.iterated = true;
    return this.run();
  }

  private chunk(index: number, delta: ChunkDelta, finish: FinishReason = null, created = nowSeconds()): ChatChunk {
    return {
      id: this.plan.id,
      object: 'chat.completion.chunk',
      created,
      model: this.model,
      choices: [{ index, delta, finish_reason: finish }],
    };
  }

  private async *run(): AsyncGenerator<ChatChunk> {
    const { settings, timeouts, signal } = this;
    const totalDeadline = timeouts.totalMs > 0 ? this.startedAt + timeouts.totalMs : Number.POSITIVE_INFINITY;
    let yielded = false;
    const timeout = () =>
      new ProviderError(
        'timeout',
        `simulated upstream total timeout after ${timeouts.totalMs} ms`,
        null,
        null,
        yielded,
      );
    // The first chunk: latency already spent in chat() for the first-token check.
    const created = nowSeconds();
    let first = true;
    for (const c of this.plan.choices) {
      yield this.chunk(c.index, { role: 'assistant', content: c.toolCalls.length > 0 ? null : '' }, null, created);
      yielded = true;
      for (const piece of c.pieces) {
        if (!first) await pace(settings.interChunkMs, signal, totalDeadline, timeout);
        first = false;
        this.tracker.addOutput(piece);
        yield this.chunk(c.index, { content: piece }, null, created);
      }
      for (let t = 0; t < c.toolCalls.length; t++) {
        const call = c.toolCalls[t];
        this.tracker.addOutput(call.function.name);
        yield this.chunk(
          c.index,
          {
            tool_calls: [
              { index: t, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
            ],
          },
          null,
          created,
        );
        const args = call.function.arguments;
        const step = Math.max(8, Math.ceil(args.length / 4));
        for (let i = 0; i < args.length; i += step) {
          await pace(settings.interChunkMs, signal, totalDeadline, timeout);
          const part = args.slice(i, i + step);
          this.tracker.addOutput(part);
          yield this.chunk(c.index, { tool_calls: [{ index: t, function: { arguments: part } }] }, null, created);
        }
      }
      yield this.chunk(c.index, {}, c.finish, created);
    }
    this.completed = true;
    if (this.keepUsage) {
      const u = this.chunk(0, {}, null, created);
      u.choices = [];
      u.usage = toOpenAIUsage(simulatedUsage(this.plan));
      yield u;
    }
  }
}
