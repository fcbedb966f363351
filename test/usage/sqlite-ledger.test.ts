import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSpendLedger } from '../../data-plane/usage/ledger.js';
import { createUsageRecorder } from '../../data-plane/usage/recorder.js';
import type { UsageSink } from '../../data-plane/usage/sink.js';
import { openUsageDb } from '../../data-plane/usage/sqlite/db.js';
import { makeEvent, silentLogger, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function dir(): Promise<string> {
  const d = await tempDir('ledger');
  dirs.push(d);
  return d;
}

describe('SQLite sink and spend ledger', () => {
  it('stores every event once (replays are no-ops) and the ledger sums per node since a time', async () => {
    const dataDir = await dir();
    const rec = await createUsageRecorder({ dataDir, clickhouseUrl: null, logger: silentLogger, flushIntervalMs: 20 });
    const ledger = openSpendLedger(dataDir);
    const t0 = Date.UTC(2025, 2, 1);
    const a = makeEvent({ ts_ms: t0, key: 'k1', team: 't1', org: 'o1', cost_micros: 10 });
    const b = makeEvent({ ts_ms: t0 + 1000, key: 'k2', team: 't1', org: 'o1', cost_micros: 5 });
    const c = makeEvent({ ts_ms: t0 + 2000, key: 'k3', team: 't2', org: 'o1', cost_micros: 7 });
    rec.record(a);
    rec.record(b);
    // Not flushed yet: the ledger already counts events in memory.
    expect(ledger.spendMicrosSince('team:t1', t0)).toBe(15);
    rec.record(c);
    rec.record(a); // replayed duplicate
    await rec.drain();
    const { db } = openUsageDb(dataDir);
    expect((db.prepare('SELECT count(*) AS n FROM usage_events').get() as { n: number }).n).toBe(3);
    expect(ledger.spendMicrosSince('key:k1', t0)).toBe(10);
    expect(ledger.spendMicrosSince('team:t1', t0)).toBe(15);
    expect(ledger.spendMicrosSince('team:t1', t0 + 1)).toBe(5);
    expect(ledger.spendMicrosSince('org:o1', t0)).toBe(22);
    expect(ledger.spendMicrosSince('org:o1', t0 + 2001)).toBe(0);
    expect(ledger.spendMicrosSince('key:nobody', 0)).toBe(0);
    expect(() => ledger.spendMicrosSince('bogus', 0)).toThrow(/budget node/);
    // The ledger's lookups are index-only (fast at any table size).
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT SUM(cost_micros) FROM usage_events WHERE team = ? AND ts_ms >= ?')
      .all('t1', 0) as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/COVERING INDEX usage_events_team_ts/);
    ledger.close();
    await rec.close();
  });

  it('spools a failing sink to disk, replays it in order after a restart, and never loses an event', async () => {
    const dataDir = await dir();
    let up = false;
    const written: string[] = [];
    const flaky: UsageSink = {
      name: 'flaky',
      async write(events) {
        if (!up) throw new Error('sink down');
        for (const e of events) written.push(e.request_id);
      },
      async close() {},
    };
    const opts = { dataDir, clickhouseUrl: null, logger: silentLogger, batchSize: 10, retryMinMs: 20, retryMaxMs: 40 };
    const first = await createUsageRecorder({ ...opts, sinks: [flaky] });
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) {
      const e = makeEvent({ ts_ms: 1_000 + i });
      ids.push(e.request_id);
      first.record(e);
    }
    await first.drain();
    expect(first.status().find((s) => s.sink === 'flaky')).toMatchObject({ down: true });
    await first.close();
    const files = await readdir(join(dataDir, 'spool', 'flaky'));
    expect(files.length).toBeGreaterThan(0);
    expect(written).toEqual([]);

    // "Gateway restart": a new recorder on the same folder replays the spool when the sink is back.
    up = true;
    const second = await createUsageRecorder({ ...opts, sinks: [flaky] });
    await second.drain();
    expect(written).toEqual(ids);
    expect(await readdir(join(dataDir, 'spool', 'flaky'))).toEqual([]);
    await second.close();
  });

  it('bounds the spool: beyond the limit events are dropped and counted, not written', async () => {
    const dataDir = await dir();
    const dead: UsageSink = {
      name: 'dead',
      write: async () => {
        throw new Error('down');
      },
      close: async () => {},
    };
    const rec = await createUsageRecorder({
      dataDir,
      clickhouseUrl: null,
      logger: silentLogger,
      batchSize: 10,
      spoolMaxBytes: 17_000,
      retryMinMs: 10_000,
      sinks: [dead],
    });
    for (let i = 0; i < 200; i++) rec.record(makeEvent());
    await rec.drain();
    await rec.close();
    const { metricsRegistry } = await import('../../data-plane/observability/metrics.js');
    const text = await metricsRegistry.metrics();
    expect(text).toMatch(/sluice_usage_events_dropped_total\{sink="dead",reason="spool_full"\} [1-9]/);
    expect(text).toMatch(/sluice_usage_spool_near_full\{sink="dead"\} 1/);
    const status = rec.status().find((s) => s.sink === 'dead')!;
    expect(status.spoolBytes).toBeLessThanOrEqual(17_000);
  });
});
