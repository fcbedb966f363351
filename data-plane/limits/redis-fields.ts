/**
 * The window-hash field names the Redis limiter's scripts read and write, computed in JS and passed
 * as ARGV: formatting numbers inside Lua costs ~1 µs each on the Redis server, which every replica
 * shares. Field layout: see redis-scripts.ts.
 */
import {
  DAY_BUCKET_MS,
  DAY_BUCKETS,
  HOUR_SPEND_BUCKET_MS,
  HOUR_SPEND_BUCKETS,
  MINUTE_BUCKET_MS,
  MINUTE_BUCKETS,
} from './types.js';

/**
 * The live sub-bucket field names at `now`, oldest first: r: and t: (13 each: 12 + the next one),
 * d:<current hour>, and withDay (a TPD limit is checked, or STATUS): d: (25), h: (12).
 * Passed to RESERVE_LUA / STATUS_LUA as ARGV (JS formats the numbers exactly as Lua did).
 */
export function windowFieldNames(now: number, withDay: boolean): string[] {
  const minute = Math.floor(now / MINUTE_BUCKET_MS);
  const day = Math.floor(now / DAY_BUCKET_MS);
  const hour = Math.floor(now / HOUR_SPEND_BUCKET_MS);
  const out: string[] = [];
  for (let idx = minute - MINUTE_BUCKETS + 1; idx <= minute + 1; idx++) out.push(`r:${idx}`);
  for (let idx = minute - MINUTE_BUCKETS + 1; idx <= minute + 1; idx++) out.push(`t:${idx}`);
  out.push(`d:${day}`);
  if (!withDay) return out;
  for (let idx = day - DAY_BUCKETS + 1; idx <= day + 1; idx++) out.push(`d:${idx}`);
  for (let idx = hour - HOUR_SPEND_BUCKETS + 1; idx <= hour; idx++) out.push(`h:${idx}`);
  return out;
}

/** RECONCILE_LUA's field names: t:<reservation minute>, t:<minute>, d:<reservation hour>, d:<hour>, h:<5 min>. */
export function reconcileFieldNames(now: number, at: number): string[] {
  return [
    `t:${Math.floor(at / MINUTE_BUCKET_MS)}`,
    `t:${Math.floor(now / MINUTE_BUCKET_MS)}`,
    `d:${Math.floor(at / DAY_BUCKET_MS)}`,
    `d:${Math.floor(now / DAY_BUCKET_MS)}`,
    `h:${Math.floor(now / HOUR_SPEND_BUCKET_MS)}`,
  ];
}
