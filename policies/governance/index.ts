export { runGovernance } from './engine.js';
export { BUILT_IN_RULES } from './library.js';
export type { Finding, GovernanceInput, GovernanceRule } from './types.js';
