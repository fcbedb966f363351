/**
 * The guardrails stage: applies the key's guardrail policies (snapshot `guardrails`, in the order
 * the key lists them) before anything is cached or sent upstream. PII and blocked terms are
 * redacted on a copy of the body or the request is refused with 400 policy_violation naming the
 * kind (never the value); `maxInputTokens` refuses oversized prompts. What was redacted is
 * reported as counts only: ctx.meta.redactions and `x-sluice-guardrails: redacted=email:1,card:2`.
 */
import type { ChatRequest, EmbeddingsRequest } from '../../common/openai-types.js';
import type { GuardrailRecord } from '../../common/snapshot.js';
import { chatTokensUpperBound } from '../../common/tokens.js';
import { applyToChat, applyToEmbeddings, formatCounts, type GuardKind } from '../../policies/guardrails/index.js';
import { GatewayError, policyViolation } from '../errors.js';
import { countBodyTokens, deferInputEstimate } from '../limits/input-tokens.js';
import type { BuiltStage, StageDeps } from '../pipeline/deps.js';
import type { Next, Outcome, RequestContext } from '../pipeline/types.js';

export const GUARDRAILS_HEADER = 'x-sluice-guardrails';

const KIND_LABEL: Record<GuardKind, string> = {
  email: 'an email address',
  phone: 'a phone number',
  card: 'a payment card number',
  national_id: 'a national identification number',
  term: 'a blocked term',
};

export function createGuardrailsStage(_deps: StageDeps): BuiltStage {
  return { name: 'guardrails', run: runGuardrails };
}

export function runGuardrails(ctx: RequestContext, next: Next): Promise<Outcome> {
  const ids = ctx.key?.guardrails;
  if (!ids || ids.length === 0) return next();
  const records = resolve(ctx, ids);
  const result =
    ctx.endpoint === 'embeddings'
      ? applyToEmbeddings(ctx.body as EmbeddingsRequest, records)
      : applyToChat(ctx.body as ChatRequest, records);
  const counts = result.tally.counts;
  if (result.tally.blocked) {
    const kind = result.tally.blocked;
    ctx.responseHeaders[GUARDRAILS_HEADER] = `blocked=${kind}`;
    const err = policyViolation(
      `Request blocked by guardrail policy '${result.blockedBy}': it contains ${KIND_LABEL[kind]}`,
    );
    throw new GatewayError(err.status, err.type, err.code, err.message, null, {
      [GUARDRAILS_HEADER]: `blocked=${kind}`,
    });
  }
  if (result.body !== ctx.body) ctx.body = result.body;
  const summary = formatCounts(counts);
  if (summary) {
    for (const [k, n] of Object.entries(counts)) ctx.meta.redactions[k] = (ctx.meta.redactions[k] ?? 0) + (n ?? 0);
    ctx.responseHeaders[GUARDRAILS_HEADER] = `redacted=${summary}`;
  }
  enforceMaxInputTokens(ctx, records);
  return next();
}

function resolve(ctx: RequestContext, ids: readonly string[]): GuardrailRecord[] {
  const out: GuardrailRecord[] = [];
  for (const id of ids) {
    const record = ctx.snapshot.guardrails[id];
    // Fail closed: a key promised a policy the snapshot does not carry.
    if (!record) {
      throw new GatewayError(
        500,
        'api_error',
        'guardrail_missing',
        `Guardrail policy '${id}' is not in the active config`,
      );
    }
    out.push(record);
  }
  return out;
}

function enforceMaxInputTokens(ctx: RequestContext, records: readonly GuardrailRecord[]): void {
  let limit: number | null = null;
  for (const r of records)
    if (r.maxInputTokens !== null) limit = limit === null ? r.maxInputTokens : Math.min(limit, r.maxInputTokens);
  if (limit === null || ctx.endpoint === 'embeddings') return;
  const body = ctx.body as ChatRequest;
  // Most prompts are far under the limit: a byte-length bound proves it without counting.
  const bound = chatTokensUpperBound(body.model, body.messages ?? [], body.tools);
  if (bound !== null && bound <= limit) {
    deferInputEstimate(ctx);
    return;
  }
  // Counted once per body and tokenizer: limits and the router reuse it (limits/input-tokens.ts).
  const tokens = countBodyTokens(ctx.endpoint, ctx.body, ctx.body.model);
  ctx.meta.inputTokensEstimate ??= tokens;
  if (tokens > limit) {
    throw new GatewayError(
      400,
      'invalid_request_error',
      'context_length_exceeded',
      `The prompt has about ${tokens} tokens; the guardrail policy allows at most ${limit} input tokens`,
      'messages',
    );
  }
}
