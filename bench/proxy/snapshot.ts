/**
 * The bench's compiled snapshot: one key with rpm/tpm + monthly budgets on key, team and org, a
 * guardrail policy (PII on all four kinds, a blocked term, max input tokens), one route to the
 * fake upstream with a dated price. Limits are high enough never to refuse during a run.
 */
import { keyRecord, makeSnapshot, node, provider, route } from '../../test/helpers/snapshot.js';
import { KEY } from './shared.js';

export function benchSnapshot(upstreamPort: number) {
  const big = { rpm: 10_000_000, tpm: 10_000_000_000, tpd: null, maxConcurrent: null };
  const budget = { amountMicros: 1_000_000_000_000, period: 'monthly' as const, timezone: 'UTC' };
  return makeSnapshot({
    version: 'v-bench',
    nodes: [
      node('org:acme', { limits: big, budget }),
      node('team:search', { parent: 'org:acme', limits: big, budget }),
      node('key:bench', { parent: 'team:search', limits: big, budget }),
    ],
    keys: [keyRecord(KEY, { name: 'bench', guardrails: ['bench-guard'] })],
    providers: [provider('fake', `http://127.0.0.1:${upstreamPort}/v1`, { maxConnections: 64 })],
    routes: [
      route('bench-model', {
        targets: [{ provider: 'fake', model: 'bench-model', weight: 1, contextWindow: 128_000 }],
      }),
    ],
    pricing: {
      'fake/bench-model': [
        {
          effectiveFrom: Date.UTC(2024, 0, 1),
          inputPico: 150_000,
          outputPico: 600_000,
          cachedInputPico: 75_000,
          cacheWritePico: 187_500,
        },
      ],
    },
    guardrails: {
      'bench-guard': {
        id: 'bench-guard',
        pii: { email: 'redact', phone: 'redact', creditCard: 'block', nationalId: 'redact' },
        blockedTerms: ['forbidden-term'],
        blockedTermsAction: 'block',
        maxInputTokens: 8_000,
      },
    },
  });
}
