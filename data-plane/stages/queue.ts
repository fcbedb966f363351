import type { BuiltStage, StageDeps } from '../pipeline/deps.js';

// PLACEHOLDER: pass-through until the real stage lands.
export function createQueueStage(_deps: StageDeps): BuiltStage {
  return { name: 'queue', run: (_ctx, next) => next() };
}
