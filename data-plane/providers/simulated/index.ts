/**
 * The simulated provider: a deterministic fake LLM with no network (npm start, demos, load tests).
 * Settings (provider.simulated): latencyMs before the first token (a JSON answer also waits
 * interChunkMs per piece, like a real model generating it), interChunkMs between stream chunks,
 * outputTokens per answer (capped by max_tokens → finish_reason "length"), errorRate (share of
 * requests answered with a 500, chosen from a hash of the request and `seed`, so the same request
 * always gets the same outcome), seed. Timeouts and aborts behave like a real upstream.
 */
import type { ChatRequest, EmbeddingsRequest } from '../../../common/openai-types.js';
import {
  type CallOptions,
  type ChatResult,
  type ProviderAdapter,
  ProviderError,
  type UpstreamTarget,
} from '../types.js';
import { simulatedEmbeddings } from './embeddings.js';
import { hashOf, unitFrom } from './prng.js';
import { DEFAULT_SIMULATED, planSimulated } from './request.js';
import { simulatedResponse } from './response.js';
import { pace, SimulatedStream } from './stream.js';

export const simulatedAdapter: ProviderAdapter = {
  async chat(req: ChatRequest, target: UpstreamTarget, opts: CallOptions): Promise<ChatResult> {
    const settings = target.provider.simulated ?? DEFAULT_SIMULATED;
    const { firstTokenMs, totalMs } = opts.timeouts;
    const started = performance.now();
    const plan = planSimulated(req, target.model, settings);
    const stream = req.stream === true;
    const pieces = plan.choices.reduce((n, c) => n + c.pieces.length, 0);
    const latency = stream ? settings.latencyMs : settings.latencyMs + settings.interChunkMs * Math.max(0, pieces - 1);
    const firstDeadline = firstTokenMs > 0 ? started + firstTokenMs : Number.POSITIVE_INFINITY;
    const totalDeadline = totalMs > 0 ? started + totalMs : Number.POSITIVE_INFINITY;
    const deadline = Math.min(firstDeadline, totalDeadline);
    await pace(latency, opts.signal, deadline, () => {
      const which =
        firstDeadline <= totalDeadline ? `first token timeout after ${firstTokenMs}` : `total timeout after ${totalMs}`;
      return new ProviderError('timeout', `simulated upstream ${which} ms`, null);
    });
    if (plan.fail) {
      throw new ProviderError('server_error', `simulated upstream error (error rate ${settings.errorRate})`, 500);
    }
    if (!stream) return { type: 'json', ...simulatedResponse(plan, target.model) };
    return {
      type: 'stream',
      stream: new SimulatedStream(plan, req, target.model, settings, opts.timeouts, opts.signal, started),
    };
  },

  async embeddings(req: EmbeddingsRequest, target: UpstreamTarget, opts: CallOptions) {
    const settings = target.provider.simulated ?? DEFAULT_SIMULATED;
    if (opts.signal.aborted) throw opts.signal.reason;
    if (
      settings.errorRate > 0 &&
      unitFrom(hashOf([target.model, req.input, req.dimensions ?? null], settings.seed)) < settings.errorRate
    ) {
      throw new ProviderError('server_error', `simulated upstream error (error rate ${settings.errorRate})`, 500);
    }
    return simulatedEmbeddings(req, target.model, settings.seed);
  },
};
