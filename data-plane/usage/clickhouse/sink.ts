/**
 * The ClickHouse sink: one JSONEachRow insert per batch into usage_events. The schema is created
 * lazily (first write), so a ClickHouse that is down at start-up only means spooling, never a
 * failed start. Replayed batches first drop ids already stored (an insert that succeeded but whose
 * answer was lost), which keeps the minute rollups exact as well.
 */
import type { UsageEvent } from '../event.js';
import type { UsageSink } from '../sink.js';
import { type ClickHouseTarget, chString, connectClickHouse, ensureSchema, parseClickHouseUrl } from './schema.js';

interface ClickHouseRow extends Omit<UsageEvent, 'tags'> {
  tags: string;
  tag_keys: string[];
  tag_values: string[];
}

export function toClickHouseRow(e: UsageEvent): ClickHouseRow {
  const tags = e.tags ?? {};
  const keys = Object.keys(tags).sort();
  return { ...e, tags: JSON.stringify(tags), tag_keys: keys, tag_values: keys.map((k) => tags[k]!) };
}

export function createClickHouseSink(url: string): UsageSink & { readonly target: ClickHouseTarget } {
  const target = parseClickHouseUrl(url);
  const client = connectClickHouse(target);
  let schemaReady = false;

  async function alreadyStored(events: UsageEvent[]): Promise<Set<string>> {
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const e of events) {
      min = Math.min(min, e.ts_ms);
      max = Math.max(max, e.ts_ms);
    }
    const ids = events.map((e) => chString(e.request_id)).join(', ');
    const rs = await client.query({
      query: `SELECT DISTINCT request_id FROM usage_events
        WHERE ts >= toDateTime(${Math.floor(min / 1000)}) AND ts <= toDateTime(${Math.floor(max / 1000)})
          AND request_id IN (${ids})`,
      format: 'JSONEachRow',
    });
    const rows = (await rs.json()) as { request_id: string }[];
    return new Set(rows.map((r) => r.request_id));
  }

  return {
    name: 'clickhouse',
    target,
    async write(events, { replay }) {
      if (!schemaReady) {
        await ensureSchema(target);
        schemaReady = true;
      }
      let rows = events;
      if (replay) {
        const stored = await alreadyStored(events);
        if (stored.size > 0) rows = events.filter((e) => !stored.has(e.request_id));
      }
      if (rows.length === 0) return;
      await client.insert({ table: 'usage_events', values: rows.map(toClickHouseRow), format: 'JSONEachRow' });
    },
    async close() {
      await client.close();
    },
  };
}
