import type { BuiltStage, StageDeps } from '../pipeline/deps.js';

// PLACEHOLDER (owner: C): pass-through until the real stage lands.
export async function createLimitsStage(_deps: StageDeps): Promise<BuiltStage> {
  return { name: 'limits', run: (_ctx, next) => next() };
}
