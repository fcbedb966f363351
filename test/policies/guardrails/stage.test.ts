import { describe, expect, it } from 'vitest';
import type { ChatRequest, EmbeddingsRequest } from '../../../common/openai-types.js';
import type { GuardrailRecord } from '../../../common/snapshot.js';
import { GatewayError } from '../../../data-plane/errors.js';
import type { Outcome, RequestContext } from '../../../data-plane/pipeline/types.js';
import { runGuardrails } from '../../../data-plane/stages/guardrails.js';
import { makeCtx } from '../../data-plane/routing/context.js';
import { keyRecord, makeSnapshot, TEST_KEY } from '../../helpers/snapshot.js';

const policy = (id: string, over: Partial<GuardrailRecord> = {}): GuardrailRecord => ({
  id,
  pii: { email: 'redact', phone: 'redact', creditCard: 'redact', nationalId: 'redact' },
  blockedTerms: [],
  blockedTermsAction: 'block',
  maxInputTokens: null,
  ...over,
});

function setup(guardrails: GuardrailRecord[], keyGuardrails = guardrails.map((g) => g.id)) {
  return makeSnapshot({
    keys: [keyRecord(TEST_KEY, { guardrails: keyGuardrails })],
    guardrails: Object.fromEntries(guardrails.map((g) => [g.id, g])),
  });
}

async function pass(ctx: RequestContext): Promise<RequestContext> {
  let seen: RequestContext | null = null;
  await runGuardrails(ctx, async (): Promise<Outcome> => {
    seen = ctx;
    return { type: 'json', status: 200, body: {} };
  });
  if (!seen) throw new Error('next() was not called');
  return seen;
}

async function blocked(ctx: RequestContext): Promise<GatewayError> {
  try {
    await runGuardrails(ctx, async () => {
      throw new Error('next() must not run for a blocked request');
    });
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected a block');
}

const PII = 'Reach me at jane@example.com or 415-555-2671, card 4111 1111 1111 1111, card 5555 5555 5555 4444';

describe('guardrails stage', () => {
  it('redacts on a copy, counts kinds, and reports counts only', async () => {
    const snap = setup([policy('pii')]);
    const system = { role: 'system' as const, content: 'You are helpful.' };
    const user = { role: 'user' as const, content: PII };
    const original: Partial<ChatRequest> = { messages: [system, user] };
    const frozen = JSON.stringify(original);
    const ctx = makeCtx(snap, { body: original });
    const bodyBefore = ctx.body;
    await pass(ctx);
    const body = ctx.body as ChatRequest;
    expect(body).not.toBe(bodyBefore);
    expect(body.messages[0]).toBe(system); // unchanged messages are shared, not cloned
    expect(body.messages[1].content).toBe(
      'Reach me at [REDACTED_EMAIL] or [REDACTED_PHONE], card [REDACTED_CARD], card [REDACTED_CARD]',
    );
    expect(JSON.stringify(original)).toBe(frozen); // the client's objects are untouched
    expect(ctx.meta.redactions).toEqual({ email: 1, phone: 1, card: 2 });
    expect(ctx.responseHeaders['x-sluice-guardrails']).toBe('redacted=card:2,email:1,phone:1');
    const meta = JSON.stringify({ meta: ctx.meta, headers: ctx.responseHeaders });
    for (const secret of ['jane@example.com', '415-555-2671', '4111', '5555']) expect(meta).not.toContain(secret);
  });

  it('scans text parts and tool messages, never assistant messages', async () => {
    const snap = setup([policy('pii')]);
    const ctx = makeCtx(snap, {
      body: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'mail a@b.io' },
              { type: 'image_url', image_url: { url: 'https://x/a@b.io.png' } },
            ],
          },
          { role: 'assistant', content: 'I will mail a@b.io' },
          { role: 'tool', tool_call_id: 't1', content: 'sent to c@d.io' },
        ],
      },
    });
    await pass(ctx);
    const m = (ctx.body as ChatRequest).messages;
    expect(m[0].content).toEqual([
      { type: 'text', text: 'mail [REDACTED_EMAIL]' },
      { type: 'image_url', image_url: { url: 'https://x/a@b.io.png' } },
    ]);
    expect(m[1].content).toBe('I will mail a@b.io');
    expect(m[2].content).toBe('sent to [REDACTED_EMAIL]');
    expect(ctx.meta.redactions).toEqual({ email: 2 });
  });

  it('blocks with 400 policy_violation naming the kind, never the value', async () => {
    const snap = setup([
      policy('strict', { pii: { email: 'redact', phone: 'redact', creditCard: 'block', nationalId: 'block' } }),
    ]);
    const err = await blocked(makeCtx(snap, { body: { messages: [{ role: 'user', content: PII }] } }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('policy_violation');
    expect(err.message).toContain("'strict'");
    expect(err.message).toContain('payment card number');
    expect(err.message).not.toContain('4111');
    expect(err.headers['x-sluice-guardrails']).toBe('blocked=card');
  });

  it('blocks on a blocked term and applies several policies in order', async () => {
    const snap = setup([
      policy('pii'),
      policy('terms', {
        pii: { email: 'off', phone: 'off', creditCard: 'off', nationalId: 'off' },
        blockedTerms: ['Project Zeus'],
      }),
    ]);
    const ok = await pass(makeCtx(snap, { body: { messages: [{ role: 'user', content: 'mail z@z.io about zeus' }] } }));
    expect(ok.meta.redactions).toEqual({ email: 1 });
    const err = await blocked(
      makeCtx(snap, { body: { messages: [{ role: 'user', content: 'status of project zeus?' }] } }),
    );
    expect(err.message).toContain('blocked term');
    expect(err.message).not.toContain('zeus');
  });

  it('refuses prompts above maxInputTokens', async () => {
    const snap = setup([policy('small', { maxInputTokens: 50 })]);
    await pass(makeCtx(snap, { body: { messages: [{ role: 'user', content: 'short' }] } }));
    const err = await blocked(makeCtx(snap, { body: { messages: [{ role: 'user', content: 'word '.repeat(200) }] } }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('context_length_exceeded');
    expect(err.message).toContain('50');
  });

  it('redacts embeddings input strings', async () => {
    const snap = setup([policy('pii')]);
    const input = ['call +44 20 7946 0958', 'nothing here'];
    const ctx = makeCtx(snap, { endpoint: 'embeddings', body: { model: 'e', input } });
    await pass(ctx);
    expect((ctx.body as EmbeddingsRequest).input).toEqual(['call [REDACTED_PHONE]', 'nothing here']);
    expect(input[0]).toBe('call +44 20 7946 0958');
  });

  it('passes bodies through untouched when nothing matches or no policy applies', async () => {
    const snap = setup([policy('pii')]);
    const ctx = makeCtx(snap, { body: { messages: [{ role: 'user', content: 'hello world 42' }] } });
    const before = ctx.body;
    await pass(ctx);
    expect(ctx.body).toBe(before);
    expect(ctx.responseHeaders['x-sluice-guardrails']).toBeUndefined();
    const none = makeCtx(setup([]), { body: { messages: [{ role: 'user', content: PII }] } });
    await pass(none);
    expect(none.meta.redactions).toEqual({});
  });

  it('fails closed when a key names a policy missing from the snapshot', async () => {
    const snap = setup([], ['ghost']);
    const err = await blocked(makeCtx(snap));
    expect(err.status).toBe(500);
    expect(err.code).toBe('guardrail_missing');
  });
});
