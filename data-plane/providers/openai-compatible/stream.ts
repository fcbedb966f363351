/**
 * Same SSE format as OpenAI. The translator tolerates servers that never send the usage chunk
 * (usage is then counted) or end after a finish_reason without `[DONE]`.
 */
export { OpenAIStreamTranslator as CompatibleStreamTranslator } from '../openai/stream.js';
