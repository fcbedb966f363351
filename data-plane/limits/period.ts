/**
 * Budget periods in a node's IANA timezone. A period starts at local midnight (daily), local
 * Monday midnight (weekly, ISO weeks) or local midnight of the 1st (monthly). Local wall time is
 * turned into an instant with Intl offsets, re-checked once so DST changes land correctly; a
 * midnight that does not exist locally (DST jump at 00:00) resolves to the first instant after it.
 */
import type { Budget, BudgetPeriod } from '../../common/snapshot.js';

export interface PeriodWindow {
  /** Epoch ms of the period start (inclusive). */
  start: number;
  /** Epoch ms of the next period start (exclusive). */
  end: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallTime {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(ms: number, timeZone: string): WallTime {
  const out: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return {
    year: out.year!,
    month: out.month!,
    day: out.day!,
    hour: out.hour!,
    minute: out.minute!,
    second: out.second!,
  };
}

const dateKey = (w: { year: number; month: number; day: number }): number => w.year * 10_000 + w.month * 100 + w.day;

/**
 * The first instant whose local date in `timeZone` is y-m-d: local midnight, or the end of a DST
 * jump when midnight does not exist locally. Binary search over minutes (offsets are whole
 * minutes and within ±15 h), monotone because local dates never go backwards across a day.
 */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const target = dateKey({ year, month, day });
  const naive = Date.UTC(year, month - 1, day);
  let lo = (naive - 15 * 3_600_000) / 60_000; // local date < target here
  let hi = (naive + 15 * 3_600_000) / 60_000; // local date >= target here
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (dateKey(wallTime(mid * 60_000, timeZone)) >= target) hi = mid;
    else lo = mid;
  }
  return hi * 60_000;
}

/** Period containing `nowMs` for a budget period in `timeZone`. */
export function periodWindow(nowMs: number, period: BudgetPeriod, timeZone: string): PeriodWindow {
  const w = wallTime(nowMs, timeZone);
  let start: number;
  let end: number;
  if (period === 'daily') {
    start = localMidnight(w.year, w.month, w.day, timeZone);
    const next = new Date(Date.UTC(w.year, w.month - 1, w.day + 1));
    end = localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
  } else if (period === 'weekly') {
    const weekday = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay(); // 0 = Sunday
    const back = (weekday + 6) % 7; // days since Monday
    const monday = new Date(Date.UTC(w.year, w.month - 1, w.day - back));
    const nextMonday = new Date(Date.UTC(w.year, w.month - 1, w.day - back + 7));
    start = localMidnight(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), timeZone);
    end = localMidnight(nextMonday.getUTCFullYear(), nextMonday.getUTCMonth() + 1, nextMonday.getUTCDate(), timeZone);
  } else {
    start = localMidnight(w.year, w.month, 1, timeZone);
    const next = new Date(Date.UTC(w.year, w.month, 1));
    end = localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, 1, timeZone);
  }
  return { start, end };
}

/** Nodes without a budget still track spend (reports, burn rate) over UTC calendar months. */
export const TRACKING_PERIOD: Pick<Budget, 'period' | 'timezone'> = { period: 'monthly', timezone: 'UTC' };

/** Caches the current window per (period, timezone) so the hot path rarely calls Intl. */
export class PeriodCache {
  private readonly windows = new Map<string, PeriodWindow>();

  window(nowMs: number, period: BudgetPeriod, timeZone: string): PeriodWindow {
    const key = `${period}|${timeZone}`;
    const cached = this.windows.get(key);
    if (cached && nowMs >= cached.start && nowMs < cached.end) return cached;
    const fresh = periodWindow(nowMs, period, timeZone);
    this.windows.set(key, fresh);
    return fresh;
  }
}
