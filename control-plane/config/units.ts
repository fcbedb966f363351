import { usdToMicros } from '../../common/money.js';

/** Conversions from config notation (durations, timestamps) to snapshot units (ms, epoch ms). */
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s" → 30000. The schema guarantees the format; anything else is a programming error. */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

export function durationOr(text: string | undefined, fallbackMs: number): number {
  return text === undefined ? fallbackMs : durationMs(text);
}

/**
 * "2025-07-01" (midnight UTC) or an RFC 3339 date-time → epoch ms; null when the date does not
 * exist (e.g. 2025-02-30), which the checks report.
 */
const timestampCache = new Map<string, number | null>();

export function timestampMs(text: string): number | null {
  let ms = timestampCache.get(text);
  if (ms === undefined) {
    ms = parseTimestamp(text);
    if (timestampCache.size > 100_000) timestampCache.clear();
    timestampCache.set(text, ms);
  }
  return ms;
}

function parseTimestamp(text: string): number | null {
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (dateOnly) {
    const [y, mo, d] = [Number(dateOnly[1]), Number(dateOnly[2]), Number(dateOnly[3])];
    const ms = Date.UTC(y, mo - 1, d);
    const check = new Date(ms);
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
    return ms;
  }
  // A date-time must carry an offset so its meaning never depends on the machine's timezone.
  if (!/([Zz]|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const ms = Date.parse(text.replace(' ', 'T'));
  if (Number.isNaN(ms)) return null;
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (day && parseTimestamp(`${day[1]}-${day[2]}-${day[3]}`) === null) return null;
  return ms;
}

const zoneCache = new Map<string, boolean>();

export function isValidTimezone(tz: string): boolean {
  let ok = zoneCache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    zoneCache.set(tz, ok);
  }
  return ok;
}

export function isoDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

const microsCache = new Map<string, number>();

/** usdToMicros with a memo: the same few amounts repeat across thousands of keys. */
export function usdMicros(amount: string): number {
  let v = microsCache.get(amount);
  if (v === undefined) {
    v = usdToMicros(amount);
    if (microsCache.size > 100_000) microsCache.clear();
    microsCache.set(amount, v);
  }
  return v;
}
