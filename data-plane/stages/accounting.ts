import type { BuiltStage, StageDeps } from '../pipeline/deps.js';

// PLACEHOLDER (owner: D): pass-through until the real stage lands.
export async function createAccountingStage(_deps: StageDeps): Promise<BuiltStage> {
  return { name: 'accounting', run: (_ctx, next) => next() };
}
