import { isoDate, timestampMs } from '../../../control-plane/config/units.js';
import { defineRule, type Finding } from '../types.js';

const DAY = 86_400_000;

/** Long-lived keys leak: every active key must expire within `days` from now. */
export const keyMaxLifetime = defineRule<{ days: number }>({
  id: 'key-max-lifetime',
  description: 'Every active key must set expires_at no more than `days` days in the future.',
  defaultSeverity: 'error',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { days: { type: 'integer', minimum: 1, description: 'Longest allowed remaining lifetime in days.' } },
  },
  defaults: { days: 90 },
  check({ index, now }, { days }) {
    const out: Finding[] = [];
    const latest = now + days * DAY;
    for (const key of index.config.keys) {
      if ((key.doc.status ?? 'active') !== 'active') continue;
      if (key.doc.expires_at === undefined) {
        out.push({
          target: key,
          path: ['name'],
          message: `key "${key.doc.name}" has no expires_at; keys must expire within ${days} days`,
        });
        continue;
      }
      const ms = timestampMs(key.doc.expires_at);
      if (ms !== null && ms > latest) {
        out.push({
          target: key,
          path: ['expires_at'],
          message: `key "${key.doc.name}" expires ${isoDate(ms)}, more than ${days} days from now (latest allowed ${isoDate(latest)})`,
        });
      }
    }
    return out;
  },
});
