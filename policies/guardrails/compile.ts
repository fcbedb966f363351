/**
 * A guardrail policy compiled once per snapshot record (cached by object identity): one regex
 * per set of detectors, scanned once per text. Nothing here keeps or returns the values found —
 * only counts by kind and, for a block, the kind that triggered it.
 */
import type { GuardrailRecord, PiiAction } from '../../common/snapshot.js';
import { DETECTORS, type Detector, type PiiKind } from './detectors.js';
import { replaceEmails } from './email.js';
import { compileTerms } from './terms.js';

export type GuardKind = PiiKind | 'term';

export const REDACTION_TOKEN: Record<GuardKind, string> = {
  email: '[REDACTED_EMAIL]',
  phone: '[REDACTED_PHONE]',
  card: '[REDACTED_CARD]',
  national_id: '[REDACTED_NATIONAL_ID]',
  term: '[REDACTED_TERM]',
};

/** What one request's scan found so far. */
export interface Tally {
  counts: Partial<Record<GuardKind, number>>;
  /** Set when a kind whose action is "block" was found (scanning stops). */
  blocked: GuardKind | null;
}

export const newTally = (): Tally => ({ counts: {}, blocked: null });

const ACTION_OF: Record<PiiKind, keyof GuardrailRecord['pii']> = {
  email: 'email',
  phone: 'phone',
  card: 'creditCard',
  national_id: 'nationalId',
};

export class CompiledGuardrail {
  readonly id: string;
  readonly maxInputTokens: number | null;
  private readonly actions: Record<GuardKind, PiiAction>;
  private readonly detectors: readonly Detector[];
  private readonly emails: boolean;
  private readonly terms: RegExp | null;
  /** Regex per detector subset (bitmask); the full set is built eagerly, subsets on demand. */
  private readonly regexes = new Map<number, RegExp>();
  private readonly fullMask: number;

  constructor(record: GuardrailRecord) {
    this.id = record.id;
    this.maxInputTokens = record.maxInputTokens;
    this.actions = {
      email: record.pii.email,
      phone: record.pii.phone,
      card: record.pii.creditCard,
      national_id: record.pii.nationalId,
      term: record.blockedTermsAction,
    };
    this.detectors = DETECTORS.filter((d) => record.pii[ACTION_OF[d.kind]] !== 'off');
    this.emails = record.pii.email !== 'off';
    this.fullMask = (1 << this.detectors.length) - 1;
    if (this.detectors.length > 0) this.regexFor(this.fullMask);
    this.terms = compileTerms(record.blockedTerms);
  }

  /** True when this policy inspects text at all. */
  get inspectsText(): boolean {
    return this.emails || this.detectors.length > 0 || this.terms !== null;
  }

  /** Returns the text with redactions applied (the same string when nothing changed). */
  scan(text: string, tally: Tally): string {
    if (tally.blocked) return text;
    let out = text;
    if (this.terms) {
      out = out.replace(this.terms, () => this.hit('term', tally));
      if (tally.blocked) return text;
    }
    if (this.emails) {
      out = replaceEmails(out, () => this.hit('email', tally));
      if (tally.blocked) return text;
    }
    if (this.detectors.length > 0 && hasDigit(out)) out = this.scanPii(out, this.fullMask, tally);
    return tally.blocked ? text : out;
  }

  private scanPii(text: string, mask: number, tally: Tally): string {
    const re = this.regexFor(mask);
    return text.replace(re, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args[args.length - 1] as Record<string, string | undefined>;
      const i = this.detectorIndex(groups, mask);
      const d = this.detectors[i];
      if (d.validate && !d.validate(match)) {
        // A long Luhn-invalid digit run may still contain a phone number: rescan it without the
        // card detector. A rejected ID (e.g. SSN 000-12-3456) is a deliberate "no" — left as is.
        if (d.kind !== 'card') return match;
        const rest = mask & ~(1 << i);
        return rest === 0 ? match : this.scanPii(match, rest, tally);
      }
      return this.hit(d.kind, tally);
    });
  }

  private hit(kind: GuardKind, tally: Tally): string {
    tally.counts[kind] = (tally.counts[kind] ?? 0) + 1;
    if (this.actions[kind] === 'block') tally.blocked ??= kind;
    return REDACTION_TOKEN[kind];
  }

  private detectorIndex(groups: Record<string, string | undefined>, mask: number): number {
    for (let i = 0; i < this.detectors.length; i++) {
      if (mask & (1 << i) && groups[`d${i}`] !== undefined) return i;
    }
    return -1;
  }

  private regexFor(mask: number): RegExp {
    let re = this.regexes.get(mask);
    if (!re) {
      const parts: string[] = [];
      this.detectors.forEach((d, i) => {
        if (mask & (1 << i)) parts.push(`(?<d${i}>${d.source})`);
      });
      re = new RegExp(parts.join('|'), 'g');
      this.regexes.set(mask, re);
    }
    return re;
  }
}

const DIGIT = /[0-9]/;
const hasDigit = (s: string): boolean => DIGIT.test(s);

const cache = new WeakMap<GuardrailRecord, CompiledGuardrail>();

/** The compiled form of a snapshot record; compiled once per record object. */
export function compiledGuardrail(record: GuardrailRecord): CompiledGuardrail {
  let c = cache.get(record);
  if (!c) {
    c = new CompiledGuardrail(record);
    cache.set(record, c);
  }
  return c;
}
