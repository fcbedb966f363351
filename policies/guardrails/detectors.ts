/**
 * Digit-bearing PII detectors: a regular expression that finds candidates plus a validator that
 * rejects look-alikes (Luhn for cards, issuing rules and check characters for national IDs, digit
 * counts for phone numbers). All detectors of a policy are joined into one alternation so each
 * text is scanned in a single pass; order matters where candidates can overlap (national IDs
 * before cards before phones). Every pattern needs a digit, so digit-free text skips the scan.
 * Emails are found separately, anchored on '@' (email.ts).
 */
import { luhnValid } from './luhn.js';
import { validCodiceFiscale, validDni, validNie, validNino, validSsn } from './national-ids.js';

export type PiiKind = 'email' | 'phone' | 'card' | 'national_id';

export interface Detector {
  /** Unique detector name (several detectors may report one kind). */
  name: string;
  kind: PiiKind;
  /** Regex source, without flags; named groups only inside one detector. */
  source: string;
  validate?: (match: string) => boolean;
}

const digitCount = (s: string): number => s.replace(/\D/g, '').length;
// Boundaries: no letter/digit (or + for phones) glued to the candidate.
const NOT_AFTER_ALNUM = '(?<![A-Za-z0-9])';
const NOT_BEFORE_ALNUM = '(?![A-Za-z0-9])';

export const DETECTORS: readonly Detector[] = [
  {
    // US SSN with a consistent dash or space separator; a bare 9-digit number is not flagged.
    name: 'us_ssn',
    kind: 'national_id',
    source: '(?<![\\d-])\\d{3}(?<ssnsep>[- ])\\d{2}\\k<ssnsep>\\d{4}(?![\\d-])',
    validate: validSsn,
  },
  {
    name: 'uk_nino',
    kind: 'national_id',
    source: `${NOT_AFTER_ALNUM}[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]${NOT_BEFORE_ALNUM}`,
    validate: validNino,
  },
  {
    name: 'es_dni',
    kind: 'national_id',
    source: `${NOT_AFTER_ALNUM}\\d{8}-?[A-HJ-NP-TV-Z]${NOT_BEFORE_ALNUM}`,
    validate: validDni,
  },
  {
    name: 'es_nie',
    kind: 'national_id',
    source: `${NOT_AFTER_ALNUM}[XYZ]-?\\d{7}-?[A-HJ-NP-TV-Z]${NOT_BEFORE_ALNUM}`,
    validate: validNie,
  },
  {
    name: 'it_codice_fiscale',
    kind: 'national_id',
    source: `${NOT_AFTER_ALNUM}[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]${NOT_BEFORE_ALNUM}`,
    validate: validCodiceFiscale,
  },
  {
    // 13–19 digits, optionally grouped by spaces or dashes; issuer digit 2–6 and Luhn must hold.
    name: 'card',
    kind: 'card',
    source: '(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d])',
    validate: (m) => {
      const d = m.replace(/\D/g, '');
      return d.length >= 13 && d.length <= 19 && d[0] >= '2' && d[0] <= '6' && luhnValid(d);
    },
  },
  {
    // International: +<country code> and 7–14 more digits in groups.
    name: 'phone_intl',
    kind: 'phone',
    source: '(?<![\\w+])\\+\\d{1,3}(?:[ .-]?\\(?\\d{1,5}\\)?){1,6}(?!\\d)',
    validate: (m) => {
      const n = digitCount(m);
      return n >= 8 && n <= 15;
    },
  },
  {
    // NANP: (415) 555-2671, 415-555-2671, 1 415.555.2671 — separators required, so plain
    // 10-digit numbers (order ids, timestamps) are not flagged.
    name: 'phone_nanp',
    kind: 'phone',
    source: '(?<![\\w+])(?:1[ .-]?)?(?:\\([2-9]\\d{2}\\) ?|[2-9]\\d{2}[ .-])[2-9]\\d{2}[ .-]\\d{4}(?!\\d)',
  },
  {
    // National formats with a trunk 0 (UK 020 7946 0958, DE 030 1234 5678, FR 01 23 45 67 89).
    name: 'phone_national',
    kind: 'phone',
    source: '(?<![\\w+.,])0\\d{1,4}(?:[ .-]\\d{2,4}){2,4}(?!\\d|[.,]\\d)',
    validate: (m) => {
      const n = digitCount(m);
      return n >= 9 && n <= 12;
    },
  },
];
