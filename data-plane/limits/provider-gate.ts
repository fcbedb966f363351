import type { ProviderAccountGate, StageDeps } from '../pipeline/deps.js';

// PLACEHOLDER (owner: limits): admits everything until provider-account limits land.
export async function createProviderAccountGate(_deps: Omit<StageDeps, 'providerGate'>): Promise<ProviderAccountGate> {
  return { tryAcquire: async () => true, settle: () => {} };
}
