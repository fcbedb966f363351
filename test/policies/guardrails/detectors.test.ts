import { describe, expect, it } from 'vitest';
import type { GuardrailRecord } from '../../../common/snapshot.js';
import {
  CompiledGuardrail,
  luhnValid,
  newTally,
  validCodiceFiscale,
  validDni,
  validNie,
  validSsn,
} from '../../../policies/guardrails/index.js';

const redactAll = (over: Partial<GuardrailRecord> = {}): GuardrailRecord => ({
  id: 'pii',
  pii: { email: 'redact', phone: 'redact', creditCard: 'redact', nationalId: 'redact' },
  blockedTerms: [],
  blockedTermsAction: 'redact',
  maxInputTokens: null,
  ...over,
});

function scan(text: string, record = redactAll()) {
  const tally = newTally();
  const out = new CompiledGuardrail(record).scan(text, tally);
  return { out, counts: tally.counts, blocked: tally.blocked };
}

describe('checksums', () => {
  it('Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
  });
  it('US SSN issuing rules', () => {
    expect(validSsn('123-45-6789')).toBe(true);
    for (const bad of ['000-12-3456', '666-12-3456', '901-12-3456', '123-00-4567', '123-45-0000', '078-05-1120']) {
      expect(validSsn(bad), bad).toBe(false);
    }
  });
  it('Spanish DNI / NIE check letters and the Italian codice fiscale check character', () => {
    expect(validDni('12345678Z')).toBe(true);
    expect(validDni('12345678A')).toBe(false);
    expect(validNie('X1234567L')).toBe(true);
    expect(validNie('X1234567A')).toBe(false);
    expect(validCodiceFiscale('RSSMRA85T10A562S')).toBe(true);
    expect(validCodiceFiscale('RSSMRA85T10A562T')).toBe(false);
  });
});

describe('detectors: true positives', () => {
  it.each([
    ['Mail me at jane.doe+tag@example.co.uk please', 'email', '[REDACTED_EMAIL]'],
    ['Card 4111 1111 1111 1111 exp 12/29', 'card', '[REDACTED_CARD]'],
    ['Card 4111-1111-1111-1111', 'card', '[REDACTED_CARD]'],
    ['Amex 378282246310005 ok', 'card', '[REDACTED_CARD]'],
    ['SSN 123-45-6789.', 'national_id', '[REDACTED_NATIONAL_ID]'],
    ['NINO AB 12 34 56 C here', 'national_id', '[REDACTED_NATIONAL_ID]'],
    ['NINO AB123456C', 'national_id', '[REDACTED_NATIONAL_ID]'],
    ['DNI 12345678Z', 'national_id', '[REDACTED_NATIONAL_ID]'],
    ['NIE X1234567L', 'national_id', '[REDACTED_NATIONAL_ID]'],
    ['CF RSSMRA85T10A562S', 'national_id', '[REDACTED_NATIONAL_ID]'],
    ['Call (415) 555-2671 now', 'phone', '[REDACTED_PHONE]'],
    ['Call 415-555-2671.', 'phone', '[REDACTED_PHONE]'],
    ['Call 1 415.555.2671', 'phone', '[REDACTED_PHONE]'],
    ['Ring +44 20 7946 0958 today', 'phone', '[REDACTED_PHONE]'],
    ['Ring +49 (30) 1234-5678', 'phone', '[REDACTED_PHONE]'],
    ['Ring 020 7946 0958.', 'phone', '[REDACTED_PHONE]'],
    ['Appelez le 01 23 45 67 89', 'phone', '[REDACTED_PHONE]'],
  ])('%s → %s', (text, kind, token) => {
    const r = scan(text);
    expect(r.counts).toEqual({ [kind]: 1 });
    expect(r.out).toContain(token);
    expect(r.out).not.toMatch(/\d{4}|@/);
  });

  it('counts several kinds in one text and leaves the rest intact', () => {
    const r = scan('a@b.io, b@c.io, 4242 4242 4242 4242 and (212) 555-0199 — thanks!');
    expect(r.counts).toEqual({ email: 2, card: 1, phone: 1 });
    expect(r.out).toBe('[REDACTED_EMAIL], [REDACTED_EMAIL], [REDACTED_CARD] and [REDACTED_PHONE] — thanks!');
  });

  it('finds a phone number inside a Luhn-invalid digit run', () => {
    const r = scan('415-555-2671 1234');
    expect(r.counts).toEqual({ phone: 1 });
  });
});

describe('detectors: false positives are not flagged', () => {
  it.each([
    'Order 4111 1111 1111 1112 shipped', // Luhn-invalid
    'Tracking 1234567890123456', // Luhn-invalid, issuer digit 1
    'SSN-like 000-12-3456 and 666-45-6789 and 912-34-5678',
    'Serial 123456789 and 4155552671 are plain numbers',
    'Timestamp 1700000000000 ms',
    'Version 1.2.3 released 2024-01-15',
    'Pi is 3.14159265358979',
    'Ratio 0.25 0.50 0.75',
    'Date 03-12-2024',
    'GB123456A is not a NINO prefix',
    'DNI 12345678A has a wrong letter',
    'user@localhost is not a routable address',
    'Price $1,299.99 for 2 units',
  ])('%s', (text) => {
    const r = scan(text);
    expect(r.counts).toEqual({});
    expect(r.out).toBe(text);
  });
});

describe('actions', () => {
  it('off disables a kind', () => {
    const r = scan(
      'jane@example.com 4111 1111 1111 1111',
      redactAll({ pii: { email: 'off', phone: 'redact', creditCard: 'redact', nationalId: 'redact' } }),
    );
    expect(r.counts).toEqual({ card: 1 });
    expect(r.out).toBe('jane@example.com [REDACTED_CARD]');
  });

  it('block reports the kind and leaves the text as it was', () => {
    const r = scan(
      'my card 4111 1111 1111 1111',
      redactAll({ pii: { email: 'redact', phone: 'redact', creditCard: 'block', nationalId: 'redact' } }),
    );
    expect(r.blocked).toBe('card');
    expect(r.out).toBe('my card 4111 1111 1111 1111');
  });

  it('blocked terms: case-insensitive, whole words, redact or block', () => {
    const terms = redactAll({ blockedTerms: ['Project Apollo', 'secret'], blockedTermsAction: 'redact' });
    const r = scan('About project   APOLLO and the SECRET plan; secretive is fine', terms);
    expect(r.out).toBe('About [REDACTED_TERM] and the [REDACTED_TERM] plan; secretive is fine');
    expect(r.counts).toEqual({ term: 2 });
    const b = scan('the Secret plan', { ...terms, blockedTermsAction: 'block' });
    expect(b.blocked).toBe('term');
    expect(scan('non-secretive', { ...terms, blockedTermsAction: 'block' }).blocked).toBeNull();
  });

  it('terms with regex metacharacters are literal', () => {
    const r = scan('use c++ or a.b*c here', redactAll({ blockedTerms: ['a.b*c'], blockedTermsAction: 'redact' }));
    expect(r.out).toBe('use c++ or [REDACTED_TERM] here');
  });
});
