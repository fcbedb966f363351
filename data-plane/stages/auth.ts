import type { BuiltStage, StageDeps } from '../pipeline/deps.js';

// PLACEHOLDER: pass-through until the real stage lands.
export function createAuthStage(_deps: StageDeps): BuiltStage {
  return { name: 'auth', run: (_ctx, next) => next() };
}
