import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSpendLedger } from '../../data-plane/usage/ledger.js';
import { createUsageRecorder } from '../../data-plane/usage/recorder.js';
import { openUsageDb, type PendingSpend } from '../../data-plane/usage/sqlite/db.js';
import { SqliteReader } from '../../data-plane/usage/sqlite/reader.js';
import { createSqliteSink } from '../../data-plane/usage/sqlite/sink.js';
import { makeEvent, silentLogger, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function dir(): Promise<string> {
  const d = await tempDir('sqlite-writer');
  dirs.push(d);
  return d;
}

async function waitUntil(cond: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const count = (dataDir: string): number => {
  const h = openUsageDb(dataDir);
  const n = (h.db.prepare('SELECT count(*) AS n FROM usage_events').get() as { n: number }).n;
  h.release();
  return n;
};

describe('SQLite writer thread', () => {
  it('commits batches off the main thread; a committed batch still held in memory is not counted twice', async () => {
    const dataDir = await dir();
    const sink = createSqliteSink(dataDir);
    const ledger = openSpendLedger(dataDir);
    const t0 = Date.UTC(2025, 4, 1);
    const committed = [makeEvent({ ts_ms: t0, key: 'k1', cost_micros: 10 })];
    const notYet = [makeEvent({ ts_ms: t0, key: 'k1', cost_micros: 5 })];
    await sink.write(committed, { replay: false, seq: 'seq-committed' });
    expect(count(dataDir)).toBe(1);
    expect(ledger.spendMicrosSince('key:k1', t0)).toBe(10);
    // The moment between the worker's commit and its acknowledgement: the recorder still holds
    // the committed batch as in flight, next to one that was not written yet.
    const inMemory: PendingSpend = () => [
      { seq: 'seq-committed', events: committed },
      { seq: 'seq-not-yet', events: notYet },
      { seq: null, events: [makeEvent({ ts_ms: t0, key: 'k1', cost_micros: 1 })] },
    ];
    sink.handle.pending.add(inMemory);
    expect(ledger.spendMicrosSince('key:k1', t0)).toBe(16);
    sink.handle.pending.delete(inMemory);
    ledger.close();
    await sink.close();
  });

  it('a failed write in the thread is spooled and replayed; nothing is lost or doubled', async () => {
    const dataDir = await dir();
    const rec = await createUsageRecorder({
      dataDir,
      clickhouseUrl: null,
      logger: silentLogger,
      batchSize: 10,
      flushIntervalMs: 10,
      retryMinMs: 20,
      retryMaxMs: 40,
    });
    const ledger = openSpendLedger(dataDir);
    // Break the table under the writer: its inserts fail until the table is back.
    const h = openUsageDb(dataDir);
    h.db.exec('ALTER TABLE usage_events RENAME TO usage_events_away');
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const e = makeEvent({ key: 'kw', cost_micros: 2 });
      ids.push(e.request_id);
      rec.record(e);
    }
    await rec.drain();
    const sqlite = () => rec.status().find((s) => s.sink === 'sqlite')!;
    expect(sqlite().down).toBe(true);
    await waitUntil(() => sqlite().spooledBatches > 0);
    expect((await readdir(join(dataDir, 'spool', 'sqlite'))).length).toBeGreaterThan(0);
    h.db.exec('ALTER TABLE usage_events_away RENAME TO usage_events');
    // The retry timer replays the spool through the writer thread.
    await waitUntil(() => !sqlite().down && sqlite().spooledBatches === 0);
    await rec.drain();
    const stored = h.db.prepare("SELECT request_id FROM usage_events WHERE key = 'kw'").pluck().all() as string[];
    expect(stored.sort()).toEqual([...ids].sort());
    expect(ledger.spendMicrosSince('key:kw', 0)).toBe(50);
    h.release();
    ledger.close();
    await rec.close();
  });

  it('close() waits for the thread; writes after close are refused', async () => {
    const dataDir = await dir();
    const sink = createSqliteSink(dataDir);
    const write = sink.write([makeEvent()], { replay: false });
    await sink.close();
    await write;
    expect(count(dataDir)).toBe(1);
    await expect(sink.write([makeEvent()], { replay: false })).rejects.toThrow(/closed/);
  });
});

describe('SQLite reader thread', () => {
  it('runs a long analytics query without blocking the event loop, BigInt sums intact', async () => {
    const dataDir = await dir();
    const sink = createSqliteSink(dataDir);
    await sink.write([makeEvent({ key: 'big', cost_pico: 2 ** 53 + 2 })], { replay: false });
    const reader = new SqliteReader(sink.handle.path);
    const [row] = await reader.all<{ s: bigint }>('SELECT SUM(cost_pico) AS s FROM usage_events WHERE key = ?', [
      'big',
    ]);
    expect(row!.s).toBe(BigInt(2 ** 53 + 2));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    await reader.all(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS n FROM c',
      [],
    );
    const took = performance.now() - started;
    clearInterval(timer);
    // On the main thread the interval could not fire at all while the statement ran.
    expect(took).toBeGreaterThan(50);
    expect(ticks).toBeGreaterThanOrEqual(3);
    await reader.close();
    await sink.close();
  });
});
