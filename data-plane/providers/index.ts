/**
 * The provider registry: one adapter per provider type. The router calls adapters only through
 * `getProviderAdapter(type)` and the ProviderAdapter interface (types.ts); `warmUp` opens the
 * keep-alive pools of a new snapshot's providers before it takes traffic; `closePools` on shutdown.
 */
import type { ProviderType } from '../../common/snapshot.js';
import { anthropicAdapter } from './anthropic/index.js';
import { geminiAdapter } from './gemini/index.js';
import { openaiAdapter } from './openai/index.js';
import { openaiCompatibleAdapter } from './openai-compatible/index.js';
import { simulatedAdapter } from './simulated/index.js';
import type { ProviderAdapter } from './types.js';

const adapters: Record<ProviderType, ProviderAdapter> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  'openai-compatible': openaiCompatibleAdapter,
  simulated: simulatedAdapter,
};

export function getProviderAdapter(type: ProviderType): ProviderAdapter {
  const adapter = adapters[type];
  if (!adapter) throw new Error(`unknown provider type "${type}"`);
  return adapter;
}

export { resetCredentials } from './shared/credentials.js';
export { parseRetryAfter } from './shared/errors.js';
export { closePools, type WarmUpResult, warmUp } from './shared/pools.js';
export type { CallOptions, ChatResult, ProviderAdapter, UpstreamStream, UpstreamTarget } from './types.js';
export { ProviderError } from './types.js';
