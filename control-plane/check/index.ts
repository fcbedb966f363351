/** All cross-document checks plus the governance policies, in one call. */
import { runGovernance } from '../../policies/governance/index.js';
import type { ConfigIndex } from '../config/index.js';
import type { Resolver } from '../config/resolve.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { checkBudgets } from './budgets.js';
import { CheckContext } from './context.js';
import { checkFallbackCycles } from './fallbacks.js';
import { checkDuplicateIds } from './ids.js';
import { checkKeys } from './keys.js';
import { checkPricing } from './pricing.js';
import { checkReferences } from './refs.js';

export function runChecks(index: ConfigIndex, resolver: Resolver, now: number): Diagnostic[] {
  const ctx = new CheckContext(index, resolver, now);
  checkDuplicateIds(ctx);
  checkReferences(ctx);
  checkFallbackCycles(ctx);
  checkBudgets(ctx);
  checkPricing(ctx);
  checkKeys(ctx);
  return [...ctx.diagnostics, ...runGovernance({ index, resolver, now })];
}
