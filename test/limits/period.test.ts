import { describe, expect, it } from 'vitest';
import { localMidnight, PeriodCache, periodWindow } from '../../data-plane/limits/period.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('budget periods in IANA timezones', () => {
  it('daily periods start at local midnight (Berlin, across the spring DST change)', () => {
    const w = periodWindow(Date.UTC(2025, 2, 30, 0, 30), 'daily', 'Europe/Berlin');
    expect(iso(w.start)).toBe('2025-03-29T23:00:00.000Z'); // CET midnight
    expect(iso(w.end)).toBe('2025-03-30T22:00:00.000Z'); // CEST midnight: a 23-hour day
  });

  it('weekly periods start on Monday local midnight', () => {
    const w = periodWindow(Date.UTC(2025, 0, 15, 12), 'weekly', 'America/New_York'); // a Wednesday
    expect(iso(w.start)).toBe('2025-01-13T05:00:00.000Z');
    expect(iso(w.end)).toBe('2025-01-20T05:00:00.000Z');
  });

  it('monthly periods start on the 1st local midnight; before it, the previous month applies', () => {
    const justBefore = Date.UTC(2025, 1, 28, 22, 59, 59); // 23:59:59 in Berlin on Feb 28
    expect(iso(periodWindow(justBefore, 'monthly', 'Europe/Berlin').start)).toBe('2025-01-31T23:00:00.000Z');
    expect(iso(periodWindow(justBefore + 1000, 'monthly', 'Europe/Berlin').start)).toBe('2025-02-28T23:00:00.000Z');
    expect(iso(periodWindow(Date.UTC(2025, 2, 10), 'monthly', 'Asia/Kolkata').start)).toBe('2025-02-28T18:30:00.000Z');
  });

  it('a midnight skipped by DST starts the day at the jump (America/Santiago 2024-09-08)', () => {
    expect(iso(localMidnight(2024, 9, 8, 'America/Santiago'))).toBe('2024-09-08T04:00:00.000Z');
  });

  it('the cache returns the same window inside a period and a fresh one after it', () => {
    const cache = new PeriodCache();
    const a = cache.window(Date.UTC(2025, 0, 1, 12), 'daily', 'UTC');
    expect(cache.window(Date.UTC(2025, 0, 1, 23, 59), 'daily', 'UTC')).toBe(a);
    expect(cache.window(Date.UTC(2025, 0, 2), 'daily', 'UTC').start).toBe(a.end);
  });
});
