/** Guardrails through the real server: what the provider receives, what the client is told. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GuardrailRecord } from '../../../common/snapshot.js';
import { chat } from '../../data-plane/routing/e2e-helpers.js';
import { type FakeServer, startFakeOpenAI } from '../../fakes/index.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { keyRecord, makeSnapshot, TEST_KEY } from '../../helpers/snapshot.js';

const pii: GuardrailRecord = {
  id: 'pii',
  pii: { email: 'redact', phone: 'redact', creditCard: 'block', nationalId: 'redact' },
  blockedTerms: ['codename falcon'],
  blockedTermsAction: 'redact',
  maxInputTokens: 2_000,
};

let fake: FakeServer;
let dp: TestDataPlane;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dp = await startTestDataPlane({
    snapshot: makeSnapshot({
      baseUrl: fake.url,
      keys: [keyRecord(TEST_KEY, { guardrails: ['pii'] })],
      guardrails: { pii },
    }),
  });
});
afterAll(async () => {
  await dp?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe('guardrails end to end', () => {
  it('the provider receives the redacted prompt; the client gets counts in a header', async () => {
    const r = await chat(dp.url, {
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'Escalate to ops@example.com' },
        { role: 'user', content: 'I am at +44 20 7946 0958, SSN 123-45-6789, about Codename Falcon' },
      ],
    });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('x-sluice-guardrails')).toBe('redacted=email:1,national_id:1,phone:1,term:1');
    const sent = fake.requests[0].body as { messages: Array<{ content: string }> };
    expect(sent.messages[0].content).toBe('Escalate to [REDACTED_EMAIL]');
    expect(sent.messages[1].content).toBe(
      'I am at [REDACTED_PHONE], SSN [REDACTED_NATIONAL_ID], about [REDACTED_TERM]',
    );
  });

  it('a blocked kind is refused with 400 before any upstream call', async () => {
    const r = await chat(dp.url, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'charge 4242 4242 4242 4242 please' }],
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'policy_violation', type: 'invalid_request_error' } });
    expect(r.text).not.toContain('4242');
    expect(r.headers.get('x-sluice-guardrails')).toBe('blocked=card');
    expect(fake.requests).toHaveLength(0);
  });

  it('prompts over maxInputTokens get 400 context_length_exceeded', async () => {
    const r = await chat(dp.url, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'lorem ipsum '.repeat(2_000) }],
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'context_length_exceeded' } });
    expect(fake.requests).toHaveLength(0);
  });
});
