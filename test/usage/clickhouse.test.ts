import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountingStage, createAccountingStageWith } from '../../data-plane/stages/accounting.js';
import { connectClickHouse, parseClickHouseUrl } from '../../data-plane/usage/clickhouse/schema.js';
import { openUsageDb } from '../../data-plane/usage/sqlite/db.js';
import { TEST_CLICKHOUSE_URL } from '../helpers/services.js';
import { answered, makeCtx, makeEvent, stageDeps, tempDir } from './helpers.js';
import { type SwitchableProxy, startProxy } from './tcp-proxy.js';

const DB = `sluice_t_usage_${process.pid}_${Date.now().toString(36)}`;
const direct = connectClickHouse({ ...parseClickHouseUrl(TEST_CLICKHOUSE_URL), database: DB }, false);
let proxy: SwitchableProxy;
let dataDir: string;

beforeAll(async () => {
  const target = new URL(TEST_CLICKHOUSE_URL);
  proxy = await startProxy(target.hostname, Number(target.port));
  dataDir = await tempDir('ch');
});
afterAll(async () => {
  await proxy.close();
  await direct.command({ query: `DROP DATABASE IF EXISTS ${DB}` });
  await direct.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function select<T>(query: string): Promise<T[]> {
  const rs = await direct.query({ query, format: 'JSONEachRow' });
  return (await rs.json()) as T[];
}

const openStage = () =>
  createAccountingStageWith(stageDeps(dataDir, { clickhouseUrl: `${proxy.url}/${DB}` }), {
    flushIntervalMs: 20,
    batchSize: 25,
    retryMinMs: 50,
    retryMaxMs: 200,
  });

async function traffic(stage: AccountingStage, n: number, ids: string[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const ctx = makeCtx({ receivedAt: Date.now() - 1000 });
    ids.push(ctx.id);
    await stage.run(ctx, async () => {
      answered(ctx, 100 + (i % 50), 10 + (i % 7));
      return { type: 'json', status: 200, body: {} };
    });
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
  }
}

async function waitFor(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

describe('ClickHouse sink (real server)', () => {
  it('survives an outage during traffic and a gateway restart: every request id exactly once', async () => {
    const ids: string[] = [];
    let stage = await openStage();
    await traffic(stage, 100, ids);
    await stage.recorder.drain();
    const count = async () =>
      Number((await select<{ n: string }>(`SELECT count() AS n FROM ${DB}.usage_events FINAL`))[0]!.n);
    expect(await count()).toBe(100);

    // Outage in the middle of traffic: batches spool to disk.
    await proxy.down();
    await traffic(stage, 150, ids);
    await stage.recorder.drain();
    const ch = stage.recorder.status().find((s) => s.sink === 'clickhouse')!;
    expect(ch.down).toBe(true);
    expect(ch.spooledBatches).toBeGreaterThan(0);

    // Recovery: the spool replays (in order) and new traffic flows again.
    await proxy.up();
    await traffic(stage, 50, ids);
    await waitFor(async () => (await count()) === 300);

    // Down again, then a gateway restart: close() spools what is in memory, the new instance replays.
    await proxy.down();
    await traffic(stage, 80, ids);
    await stage.close();
    await proxy.up();
    stage = await openStage();
    await stage.recorder.drain();
    await waitFor(async () => (await count()) === 380);

    const dupes = await select(
      `SELECT request_id, count() AS c FROM ${DB}.usage_events GROUP BY request_id HAVING c > 1 LIMIT 5`,
    );
    expect(dupes).toEqual([]);
    const stored = await select<{ request_id: string }>(`SELECT request_id FROM ${DB}.usage_events`);
    expect(new Set(stored.map((r) => r.request_id))).toEqual(new Set(ids));
    // The embedded SQLite copy has all of them as well.
    const { db, release } = openUsageDb(dataDir);
    expect((db.prepare('SELECT count(*) AS n FROM usage_events').get() as { n: number }).n).toBe(380);
    release();

    // Minute rollups agree with the raw table.
    const [roll] = await select<{ r: string; c: string }>(
      `SELECT sum(requests) AS r, sum(cost_pico) AS c FROM ${DB}.usage_minute`,
    );
    const [raw] = await select<{ r: string; c: string }>(
      `SELECT count() AS r, sum(cost_pico) AS c FROM ${DB}.usage_events FINAL`,
    );
    expect(roll).toEqual(raw);
    await stage.close();
  }, 90_000);

  it('a replayed batch that was already stored (lost ack / crash before spool cleanup) is not counted twice', async () => {
    const stage = await openStage();
    const events = Array.from({ length: 5 }, (_, i) =>
      makeEvent({ ts_ms: Date.now() - i * 1000, cost_pico: 1_000_000 }),
    );
    for (const e of events) stage.recorder.record(e);
    await stage.recorder.drain();
    await stage.close();
    // The same batch is found in the spool at the next start, as if its ack had been lost.
    await writeFile(
      join(dataDir, 'spool', 'clickhouse', `${String(Date.now()).padStart(15, '0')}-000000001.ndjson`),
      `${events.map((e) => JSON.stringify(e)).join('\n')}\n`,
    );
    const again = await openStage();
    await again.recorder.drain();
    expect(again.recorder.status().find((s) => s.sink === 'clickhouse')).toMatchObject({ spooledBatches: 0 });
    const inList = events.map((e) => `'${e.request_id}'`).join(',');
    const [raw] = await select<{ n: string }>(
      `SELECT count() AS n FROM ${DB}.usage_events WHERE request_id IN (${inList})`,
    );
    expect(Number(raw!.n)).toBe(5);
    await again.close();
  });
});
