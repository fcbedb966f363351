/** Values the compiler fills in when config leaves a field out (documented in docs/config-reference.md). */
import type { GatewaySettings, ProviderType, SimulatedSettings, Timeouts } from '../../common/snapshot.js';

export const DEFAULT_BASE_URL: Record<ProviderType, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
  'openai-compatible': '',
  simulated: 'simulated://local',
};

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 5_000, firstTokenMs: 30_000, totalMs: 120_000 };
export const DEFAULT_MAX_CONNECTIONS = 64;

export const DEFAULT_SIMULATED: SimulatedSettings = {
  latencyMs: 50,
  interChunkMs: 10,
  outputTokens: 64,
  errorRate: 0,
  seed: 0,
};

export const DEFAULT_RETRY = { attempts: 2, baseDelayMs: 200, maxDelayMs: 5_000 } as const;
export const DEFAULT_RETRY_ON = ['rate_limit', 'server_error', 'timeout', 'connection'] as const;
export const DEFAULT_CIRCUIT_BREAKER = { failureThreshold: 5, cooldownMs: 30_000, halfOpenProbes: 1 } as const;

export const DEFAULT_GATEWAY: GatewaySettings = {
  reservationBufferPercent: 10,
  defaultMaxOutputTokens: 1024,
  maxBodyBytes: 1_048_576,
  reservationLeaseMs: 120_000,
  queue: { maxSize: 1000, maxWaitMs: 30_000, resultTtlMs: 300_000, agingMsPerPriority: 1_000 },
  adminKeyHashes: [],
  alertThresholdsPercent: [50, 80, 100],
  alertWebhook: null,
  limiterFailureMode: 'closed',
};

export const DEFAULT_CACHE = {
  exactTtlMs: 3_600_000,
  semanticThreshold: 0.95,
  semanticTtlMs: 3_600_000,
  maxMessages: 3,
} as const;

export const DEFAULT_TIMEZONE = 'UTC';
