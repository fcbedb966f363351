/** Gateway settings, cache policies and guardrails. */
import type { CachePolicyRecord, EmbedderSettings, GatewaySettings, GuardrailRecord } from '../../common/snapshot.js';
import type { ConfigIndex } from '../config/index.js';
import type { EmbedderDoc } from '../config/model.js';
import { durationMs, durationOr } from '../config/units.js';
import { sortedRecord } from './canonical.js';
import { DEFAULT_CACHE, DEFAULT_GATEWAY } from './defaults.js';

export function buildGateway(index: ConfigIndex): GatewaySettings {
  const g = index.gateway?.doc;
  const d = DEFAULT_GATEWAY;
  return {
    reservationBufferPercent: g?.reservation_buffer_percent ?? d.reservationBufferPercent,
    defaultMaxOutputTokens: g?.default_max_output_tokens ?? d.defaultMaxOutputTokens,
    maxBodyBytes: g?.max_body_bytes ?? d.maxBodyBytes,
    reservationLeaseMs: durationOr(g?.reservation_lease, d.reservationLeaseMs),
    queue: {
      maxSize: g?.queue?.max_size ?? d.queue.maxSize,
      maxWaitMs: durationOr(g?.queue?.max_wait, d.queue.maxWaitMs),
      resultTtlMs: durationOr(g?.queue?.result_ttl, d.queue.resultTtlMs),
      agingMsPerPriority: durationOr(g?.queue?.aging_per_priority, d.queue.agingMsPerPriority),
    },
    adminKeyHashes: (g?.admin_key_hashes ?? []).map((h) => h.slice('sha256:'.length)).sort(),
    alertThresholdsPercent: [...(g?.alerts?.thresholds_percent ?? d.alertThresholdsPercent)].sort((a, b) => a - b),
    alertWebhook: g?.alerts?.webhook ?? null,
    limiterFailureMode: g?.limiter_failure_mode ?? d.limiterFailureMode,
  };
}

function embedder(doc: EmbedderDoc | undefined): EmbedderSettings {
  if (!doc || doc.type === 'offline') return { type: 'offline' };
  if (doc.type === 'upstream') return { type: 'upstream', route: doc.route };
  return {
    type: 'onnx',
    modelPath: doc.model_path,
    allowRemote: doc.allow_remote ?? false,
    pooling: doc.pooling ?? 'mean',
    normalize: doc.normalize ?? true,
  };
}

export function buildCachePolicies(index: ConfigIndex): Record<string, CachePolicyRecord> {
  const out: [string, CachePolicyRecord][] = [];
  for (const [id, { doc }] of index.cachePolicies) {
    const ttl = Object.entries(doc.semantic?.ttl ?? {}).map(([k, v]): [string, number] => [k, durationMs(v)]);
    if (!ttl.some(([k]) => k === 'default')) ttl.push(['default', DEFAULT_CACHE.semanticTtlMs]);
    const scope = doc.scope ?? 'team';
    out.push([
      id,
      {
        id,
        scope: scope === 'shared' ? { shared: doc.namespace ?? id } : scope,
        exact: { enabled: doc.exact?.enabled ?? true, ttlMs: durationOr(doc.exact?.ttl, DEFAULT_CACHE.exactTtlMs) },
        semantic: {
          enabled: doc.semantic?.enabled ?? false,
          threshold: doc.semantic?.threshold ?? DEFAULT_CACHE.semanticThreshold,
          embedder: embedder(doc.semantic?.embedder),
          ttlMsByContentType: sortedRecord(ttl),
          maxMessages: doc.semantic?.max_messages ?? DEFAULT_CACHE.maxMessages,
        },
      },
    ]);
  }
  return sortedRecord(out);
}

export function buildGuardrails(index: ConfigIndex): Record<string, GuardrailRecord> {
  const out: [string, GuardrailRecord][] = [];
  for (const [id, { doc }] of index.policies) {
    const g = doc.guardrail;
    if (!g) continue;
    out.push([
      id,
      {
        id,
        pii: {
          email: g.pii?.email ?? 'off',
          phone: g.pii?.phone ?? 'off',
          creditCard: g.pii?.credit_card ?? 'off',
          nationalId: g.pii?.national_id ?? 'off',
        },
        blockedTerms: g.blocked_terms ?? [],
        blockedTermsAction: g.blocked_terms_action ?? 'block',
        maxInputTokens: g.max_input_tokens ?? null,
      },
    ]);
  }
  return sortedRecord(out);
}
