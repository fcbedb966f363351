import type { BuiltStage, StageDeps } from '../pipeline/deps.js';

// PLACEHOLDER (owner: E): pass-through until the real stage lands.
export async function createCacheStage(_deps: StageDeps): Promise<BuiltStage> {
  return { name: 'cache', run: (_ctx, next) => next() };
}
