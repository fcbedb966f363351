import type { BuiltStage, StageDeps } from '../pipeline/deps.js';

// PLACEHOLDER: pass-through until the real stage lands.
export function createGuardrailsStage(_deps: StageDeps): BuiltStage {
  return { name: 'guardrails', run: (_ctx, next) => next() };
}
