/**
 * The entity/number/negation guard: the second verification stage before a semantic hit is served.
 * Word vectors rate "weather in Paris" and "weather in London", "2 tablets" and "20 tablets",
 * "is X safe" and "is X not safe" as near-paraphrases; this guard extracts the facts that such
 * pairs differ in and requires them to be identical (set equality after normalization).
 *
 * Heuristics (no gazetteer, no model):
 * - entities: capitalized words and runs of them ("New York") except a common word opening a
 *   sentence; ALL-CAPS acronyms; tokens mixing letters and digits ("gpt-4o", "B12"); camelCase
 *   ("iPhone"); quoted spans; URLs and e-mail addresses.
 * - numbers: digits (thousands separators dropped, "2.50" = "2.5"), percentages, number words
 *   ("twenty-five", "two hundred", "a dozen"), ordinals; each with the unit that follows it
 *   (attached "5mg" or the next word "2 tablets").
 * - dates: ISO / slashed dates, month and weekday names, today/tomorrow/yesterday…, "next week".
 * - units named anywhere (km, mg, dollars…).
 * - negations: not, n't, no, never, without, none, nothing, cannot… counted.
 * Lowercase-only names ("weather in paris") are not detected as entities: the guard errs towards
 * refusing hits only when it sees a difference; see docs/cache.md for this limit.
 */
import {
  COMMON_STARTERS,
  DATE_WORDS,
  NEGATIONS,
  NOT_UNITS,
  NUMBER_WORDS,
  PERIOD_WORDS,
  RELATIVE_DATE_MODIFIERS,
  UNITS,
} from './guard-lexicon.js';

export interface PromptFacts {
  entities: string[];
  /** "<number>" or "<number> <unit>". */
  quantities: string[];
  dates: string[];
  units: string[];
  negations: number;
}

export type GuardResult = { ok: true } | { ok: false; reason: 'entity' | 'number' | 'date' | 'unit' | 'negation' };

const DATE_PATTERN = /\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b/g;
const URL_OR_EMAIL = /\bhttps?:\/\/\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+/g;
const QUOTED = /["“]([^"”\n]{1,120})["”]/g;
const TOKEN = /\d[\d,]*(?:\.\d+)?(?:%|[\p{L}°µ]+)?|[\p{L}][\p{L}\p{N}]*(?:['’-][\p{L}\p{N}]+)*|[.!?;:\n]/gu;

const isBoundary = (t: string) => /^[.!?;:\n]$/.test(t);
const isCapitalized = (t: string) => /^\p{Lu}/u.test(t);
const isAllCaps = (t: string) => t.length >= 2 && /^[\p{Lu}\p{N}-]+$/u.test(t) && /\p{Lu}.*\p{Lu}/u.test(t);
const mixesLettersDigits = (t: string) => /\p{L}/u.test(t) && /\p{N}/u.test(t);
const isCamel = (t: string) => /^\p{Ll}+\p{Lu}/u.test(t);

function normalizeNumber(text: string): string {
  const n = Number(text.replace(/,/g, ''));
  return Number.isFinite(n) ? String(n) : text;
}

/** "twenty-five" → 25, "hundred" → 100; null when not a number word. */
function numberWordValue(word: string): number | null {
  const parts = word.split('-');
  let total = 0;
  for (const p of parts) {
    const v = NUMBER_WORDS[p];
    if (v === undefined) return null;
    total += v;
  }
  return total;
}

export function extractFacts(text: string): PromptFacts {
  const entities = new Set<string>();
  const quantities = new Set<string>();
  const dates = new Set<string>();
  const units = new Set<string>();
  let negations = 0;

  let rest = text.replace(DATE_PATTERN, (d) => {
    dates.add(d.replace(/[/.]/g, '-'));
    return ' . ';
  });
  rest = rest.replace(URL_OR_EMAIL, (u) => {
    entities.add(u.toLowerCase());
    return ' ';
  });
  for (const m of rest.matchAll(QUOTED)) entities.add(m[1]!.trim().toLowerCase());

  const tokens = rest.match(TOKEN) ?? [];
  let sentenceStart = true;
  let run: string[] = [];
  const flushRun = () => {
    if (run.length > 0) entities.add(run.join(' ').toLowerCase());
    run = [];
  };
  let pendingNumber: number | null = null;
  const emitNumber = (value: string, unit: string | null) => {
    quantities.add(unit ? `${value} ${unit}` : value);
  };

  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (isBoundary(tok)) {
      flushRun();
      sentenceStart = true;
      continue;
    }
    const lower = tok.toLowerCase().replace(/’/g, "'");
    const next = tokens[i + 1]?.toLowerCase();

    // Negations ("isn't" counts as "is not").
    if (NEGATIONS.has(lower) || lower.endsWith("n't")) negations++;

    // Numbers in digits, with an attached or following unit.
    if (/^\d/.test(tok)) {
      flushRun();
      const m = /^([\d,]*\d(?:\.\d+)?)(%|[\p{L}°µ]+)?$/u.exec(tok);
      const value = normalizeNumber(m?.[1] ?? tok);
      let unit = m?.[2]?.toLowerCase() ?? null;
      if (!unit && next && /^\p{L}/u.test(next) && !NOT_UNITS.has(next) && !NEGATIONS.has(next)) unit = next;
      if (unit === '%') unit = 'percent';
      emitNumber(value, unit);
      sentenceStart = false;
      continue;
    }

    // Number words, combined across a run ("two hundred", "a dozen").
    const wordValue = numberWordValue(lower);
    if (wordValue !== null) {
      pendingNumber =
        pendingNumber === null ? wordValue : wordValue >= 100 ? pendingNumber * wordValue : pendingNumber + wordValue;
      const nextIsNumberWord = next !== undefined && numberWordValue(next) !== null;
      if (!nextIsNumberWord) {
        const unit = next && /^\p{L}/u.test(next) && !NOT_UNITS.has(next) ? next : null;
        emitNumber(String(pendingNumber), unit === 'percent' ? 'percent' : unit);
        pendingNumber = null;
      }
      sentenceStart = false;
      flushRun();
      continue;
    }

    if (DATE_WORDS.has(lower)) dates.add(lower);
    if (RELATIVE_DATE_MODIFIERS.has(lower) && next && PERIOD_WORDS.has(next)) dates.add(`${lower} ${next}`);
    if (UNITS.has(lower)) units.add(lower);

    // Entities.
    const capital = isCapitalized(tok) && tok !== 'I';
    const startWordIsCommon = sentenceStart && (COMMON_STARTERS.has(lower) || lower.endsWith("n't"));
    if (isAllCaps(tok) || mixesLettersDigits(tok) || isCamel(tok)) {
      run.push(tok);
    } else if (capital && !startWordIsCommon && !DATE_WORDS.has(lower)) {
      run.push(tok);
    } else {
      flushRun();
    }
    sentenceStart = false;
  }
  flushRun();
  return {
    entities: [...entities].sort(),
    quantities: [...quantities].sort(),
    dates: [...dates].sort(),
    units: [...units].sort(),
    negations,
  };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Both prompts must name the same entities, quantities, dates and units, with the same negations. */
export function factsMatch(a: PromptFacts, b: PromptFacts): GuardResult {
  if (!sameList(a.entities, b.entities)) return { ok: false, reason: 'entity' };
  if (!sameList(a.quantities, b.quantities)) return { ok: false, reason: 'number' };
  if (!sameList(a.dates, b.dates)) return { ok: false, reason: 'date' };
  if (!sameList(a.units, b.units)) return { ok: false, reason: 'unit' };
  if (a.negations !== b.negations) return { ok: false, reason: 'negation' };
  return { ok: true };
}
