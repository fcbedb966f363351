import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../control-plane/cli/main.js';
import { connectClickHouse, parseClickHouseUrl } from '../../data-plane/usage/clickhouse/schema.js';
import { createClickHouseSink } from '../../data-plane/usage/clickhouse/sink.js';
import type { UsageEvent } from '../../data-plane/usage/event.js';
import { parseUsageQuery } from '../../data-plane/usage/query/parse.js';
import { createUsageQueryService, type UsageQueryService } from '../../data-plane/usage/query/service.js';
import type { UsageResult } from '../../data-plane/usage/query/types.js';
import { createSqliteSink } from '../../data-plane/usage/sqlite/sink.js';
import { startTestDataPlane, type TestDataPlane } from '../helpers/data-plane.js';
import { TEST_CLICKHOUSE_URL } from '../helpers/services.js';
import { makeSnapshot, node, TEST_ADMIN_TOKEN } from '../helpers/snapshot.js';
import { generateEvents, tempDir } from './helpers.js';

const DAY = 86_400_000;
const FROM = Date.UTC(2025, 4, 1);
const TO = FROM + 3 * DAY;
const EVENTS = generateEvents(3000, FROM, 3 * DAY);
const DB = `sluice_t_api_${process.pid}_${Date.now().toString(36)}`;
const CH_URL = `${TEST_CLICKHOUSE_URL}/${DB}`;

let dp: TestDataPlane;
let sqlite: UsageQueryService;
let clickhouse: UsageQueryService;
let dir: string;

beforeAll(async () => {
  const snapshot = makeSnapshot({
    nodes: [
      node('org:acme', { budget: { amountMicros: 1_000_000_000, period: 'monthly', timezone: 'UTC' } }),
      node('team:search', { parent: 'org:acme' }),
      node('key:search-dev', { parent: 'team:search' }),
    ],
  });
  dp = await startTestDataPlane({ snapshot });
  // Generated traffic goes into the data plane's own usage store, and into ClickHouse.
  const sink = createSqliteSink(dp.dataDir);
  await sink.write(EVENTS, { replay: false });
  await sink.close();
  const ch = createClickHouseSink(CH_URL);
  for (let i = 0; i < EVENTS.length; i += 1000) await ch.write(EVENTS.slice(i, i + 1000), { replay: false });
  await ch.write(EVENTS.slice(0, 500), { replay: true }); // a replay must not double count
  await ch.close();
  sqlite = createUsageQueryService({ dataDir: dp.dataDir });
  clickhouse = createUsageQueryService({ clickhouseUrl: CH_URL });
  dir = await tempDir('api');
});

afterAll(async () => {
  await sqlite?.close();
  await clickhouse?.close();
  await dp?.close();
  const admin = connectClickHouse(parseClickHouseUrl(TEST_CLICKHOUSE_URL), false);
  await admin.command({ query: `DROP DATABASE IF EXISTS ${DB}` });
  await admin.close();
  await rm(dir, { recursive: true, force: true });
});

/** Independent computation of the grouped answer from the generated events. */
function expected(events: UsageEvent[], keyOf: (e: UsageEvent) => string) {
  const m = new Map<string, { requests: number; pico: bigint; micros: number; hits: number; saved: bigint }>();
  for (const e of events) {
    const k = keyOf(e);
    const v = m.get(k) ?? { requests: 0, pico: 0n, micros: 0, hits: 0, saved: 0n };
    v.requests++;
    v.pico += BigInt(e.cost_pico);
    v.micros += e.cost_micros;
    v.saved += BigInt(e.saved_pico);
    if (e.cache_tier === 'hit-exact') v.hits++;
    m.set(k, v);
  }
  return m;
}

function checkGrouped(result: UsageResult): void {
  const exp = expected(
    EVENTS,
    (e) => `${new Date(Math.floor(e.ts_ms / DAY) * DAY).toISOString()}|${e.team}|${e.model}`,
  );
  expect(result.rows).toHaveLength(exp.size);
  for (const row of result.rows) {
    const k = `${new Date(row.bucket!).toISOString()}|${row.group.team}|${row.group.model}`;
    const want = exp.get(k)!;
    expect(want, k).toBeDefined();
    expect(row.requests).toBe(want.requests);
    expect(row.cost_pico).toBe(want.pico.toString());
    expect(row.cost_micros).toBe(want.micros);
    expect(row.cache_hits).toBe(want.hits);
    expect(row.saved_pico).toBe(want.saved.toString());
  }
  const total = EVENTS.reduce((a, e) => a + BigInt(e.cost_pico), 0n);
  expect(result.totals.cost_pico).toBe(total.toString());
  expect(result.totals.requests).toBe(EVENTS.length);
}

const query = new URLSearchParams({
  from: new Date(FROM).toISOString(),
  to: String(TO),
  group_by: 'team,model',
  granularity: 'day',
});

describe('usage API on generated data', () => {
  it('SQLite and ClickHouse give the same exact grouped answer', async () => {
    const q = parseUsageQuery(query);
    const [a, b] = [await sqlite.query(q), await clickhouse.query(q)];
    checkGrouped(a);
    checkGrouped(b);
    expect({ ...b, source: 'x' }).toEqual({ ...a, source: 'x' });
  });

  it('filters by tag and key, groups by tag', async () => {
    const q = parseUsageQuery(
      new URLSearchParams({
        from: String(FROM),
        to: String(TO),
        tag: 'env=prod',
        team: 'ads',
        group_by: 'key,tag:env',
      }),
    );
    for (const svc of [sqlite, clickhouse]) {
      const r = await svc.query(q);
      const want = expected(
        EVENTS.filter((e) => e.tags.env === 'prod' && e.team === 'ads'),
        (e) => `${e.key}|${e.tags.env}`,
      );
      expect(r.rows.map((x) => `${x.group.key}|${x.group['tag:env']}`).sort()).toEqual([...want.keys()].sort());
      expect(r.rows.reduce((a, x) => a + x.requests, 0)).toBe([...want.values()].reduce((a, v) => a + v.requests, 0));
    }
  });

  it('serves GET /v1/usage on the data plane (admin token required) and the CLI prints the table', async () => {
    const denied = await fetch(`${dp.url}/v1/usage?${query}`);
    expect(denied.status).toBe(401);
    const bad = await fetch(`${dp.url}/v1/usage?group_by=colour`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(bad.status).toBe(400);
    const res = await fetch(`${dp.url}/v1/usage?${query}`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    checkGrouped((await res.json()) as UsageResult);

    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    const code = await main([
      'usage',
      '--url',
      dp.url,
      '--admin-token',
      TEST_ADMIN_TOKEN,
      '--from',
      String(FROM),
      '--to',
      String(TO),
      '--group-by',
      'team',
    ]);
    log.mockRestore();
    expect(code).toBe(0);
    const text = out.join('\n');
    const byTeam = expected(EVENTS, (e) => e.team);
    for (const [team, v] of byTeam) {
      const line = text.split('\n').find((l) => l.startsWith(`${team} `))!;
      expect(line, team).toBeDefined();
      const cols = line.trim().split(/\s+/);
      expect(Number(cols[1])).toBe(v.requests);
      // COST_USD, rounded half-up to 4 decimals.
      expect(cols[6]).toBe((Number((v.pico + 50_000_000n) / 100_000_000n) / 10_000).toString());
    }
    expect(text).toMatch(new RegExp(`^TOTAL\\s+${EVENTS.length}\\s`, 'm'));
  });

  it('burn rate and projection per budget node', async () => {
    const now = FROM + 2 * DAY + 12 * 3_600_000;
    const r = await sqlite.burn(dp.snapshot()!, { now, windowMs: 3_600_000 });
    expect(r.nodes.map((n) => n.node)).toEqual(['org:acme']);
    const [org] = r.nodes;
    const inPeriod = EVENTS.filter((e) => e.org === 'acme' && e.ts_ms >= Date.UTC(2025, 4, 1) && e.ts_ms <= now);
    const lastHour = inPeriod.filter((e) => e.ts_ms >= now - 3_600_000);
    const spent = inPeriod.reduce((a, e) => a + e.cost_micros, 0);
    const recent = lastHour.reduce((a, e) => a + e.cost_micros, 0);
    expect(org!.spent_micros).toBe(spent);
    expect(org!.burn_rate_micros_per_hour).toBe(recent);
    const left = Date.UTC(2025, 5, 1) - now;
    expect(org!.projected_micros).toBe(spent + Math.round((recent * left) / 3_600_000));
    const viaApi = await fetch(`${dp.url}/v1/usage/burn?node=org:acme`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(viaApi.status).toBe(200);
    expect(((await viaApi.json()) as { nodes: unknown[] }).nodes).toHaveLength(1);
  });
});

describe('sluice reconcile', () => {
  it('flags a > 1% discrepancy against an invoice CSV and exits 1; a clean invoice exits 0', async () => {
    const perDay = expected(EVENTS, (e) => `${new Date(e.ts_ms).toISOString().slice(0, 10)}|${e.provider}|${e.model}`);
    const rows = [...perDay.entries()].map(([k, v]) => {
      const [date, provider, model] = k.split('|');
      return { date, provider, model, pico: v.pico };
    });
    const usd = (pico: bigint) =>
      `${pico / 1_000_000_000_000n}.${(pico % 1_000_000_000_000n).toString().padStart(12, '0')}`;
    // Clean invoice (alternative header spellings, quoted fields, within 0.5%).
    const clean = [
      'Usage Date,Vendor,Model Name,Amount',
      ...rows.map((r) => `${r.date},"${r.provider}",${r.model},"${usd((r.pico * 1005n) / 1000n)}"`),
    ].join('\n');
    // One line 2% above our figure.
    const skewed = [
      'date,provider,model,cost_usd',
      ...rows.map((r, i) => `${r.date},${r.provider},${r.model},${usd(i === 3 ? (r.pico * 102n) / 100n : r.pico)}`),
    ].join('\n');
    await writeFile(join(dir, 'clean.csv'), clean);
    await writeFile(join(dir, 'skewed.csv'), skewed);
    const db = join(dp.dataDir, 'usage.sqlite');
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    const okCode = await main(['reconcile', '--invoice', join(dir, 'clean.csv'), '--db', db]);
    const badCode = await main([
      'reconcile',
      '--invoice',
      join(dir, 'skewed.csv'),
      '--usage-url',
      dp.url,
      '--admin-token',
      TEST_ADMIN_TOKEN,
      '--json',
    ]);
    log.mockRestore();
    expect(okCode).toBe(0);
    expect(badCode).toBe(1);
    const report = JSON.parse(out[out.length - 1]!) as {
      flagged: number;
      lines: { flagged: boolean; date: string; model: string }[];
    };
    expect(report.flagged).toBe(1);
    const flagged = report.lines.find((l) => l.flagged)!;
    expect(`${flagged.date}|${flagged.model}`).toBe(`${rows[3]!.date}|${rows[3]!.model}`);
  });
});
