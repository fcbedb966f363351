/**
 * Fake provider HTTP servers for tests: local node:http servers on 127.0.0.1:0 speaking each
 * provider's real wire format, including SSE. Use them as ProviderRecord.baseUrl targets.
 *
 *   const fake = await startFakeOpenAI();          // or startFakeAnthropic() / startFakeGemini()
 *   provider('p', fake.url, { type: 'openai' })    // url: OpenAI `${origin}/v1`, Anthropic
 *                                                  // `${origin}`, Gemini `${origin}/v1beta`
 *   fake.setBehavior({ text: 'Hi there', usage: { prompt: 20, completion: 2, cached: 5 } });
 *   fake.script({ status: 429, retryAfter: '2' }, { resetBeforeResponse: true }); // next 2 requests
 *   fake.requests[0].body / .headers / .url       // what the gateway sent
 *   await fake.requests[0].closed; fake.requests[0].aborted  // did the client hang up early?
 *   await fake.close();
 *
 * Behaviours (FakeBehavior, all optional; script() entries override setBehavior() defaults):
 *   content   text, chunks (stream pieces), toolCalls [{id?, name, arguments}], finishReason (native),
 *             usage {prompt, completion, cached, cacheWrite, thoughts} in normalized terms, or null
 *   errors    status (429/500/503/529… with the provider's error body), errorMessage, errorType,
 *             retryAfter (header), retryAfterMs (retry-after-ms header), contextLengthError
 *   faults    resetBeforeResponse, hang, headersDelayMs, firstChunkDelayMs, chunkDelayMs,
 *             resetAfterChunks N (socket destroyed after N content deltas),
 *             errorEventAfterChunks N (provider's in-stream error event), omitEnd (no end marker)
 */
export { startFakeAnthropic } from './anthropic.js';
export { startFakeGemini } from './gemini.js';
export { startFakeOpenAI } from './openai.js';
export type { FakeBehavior, FakeServer, FakeToolCall, FakeUsage, RecordedRequest } from './types.js';
