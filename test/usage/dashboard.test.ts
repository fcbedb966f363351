import { cp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes } from '../../control-plane/dashboard/index.js';
import { type ControlPlaneHandle, startControlPlane } from '../../control-plane/server/index.js';
import type { UsageEvent } from '../../data-plane/usage/event.js';
import { formatBig } from '../../data-plane/usage/query/rows.js';
import { createUsageQueryService, type UsageQueryService } from '../../data-plane/usage/query/service.js';
import { createSqliteSink } from '../../data-plane/usage/sqlite/sink.js';
import { generateEvents, silentLogger, tempDir } from './helpers.js';

const ADMIN = 'sk-sluice-demo-admin'; // examples/config's demo admin token
const HOUR = 3_600_000;
const TO = Math.floor(Date.now() / HOUR) * HOUR;
const FROM = TO - 24 * HOUR;
// Teams of examples/config so that budget nodes have spend; all in org acme.
const EVENTS: UsageEvent[] = generateEvents(2000, FROM, 24 * HOUR, 11).map((e) => {
  const team = e.team === 'ads' ? 'support' : e.team === 'infra' ? 'clinical' : 'search';
  return { ...e, team, key: `${team}-${e.key.endsWith('prod') ? 'prod' : 'dev'}` };
});

let dir: string;
let usage: UsageQueryService;
let control: ControlPlaneHandle | undefined;
let browser: Browser;

beforeAll(async () => {
  dir = await tempDir('dashboard');
  await cp(join(import.meta.dirname, '../../examples/config'), join(dir, 'config'), { recursive: true });
  const sink = createSqliteSink(join(dir, 'data'));
  await sink.write(EVENTS, { replay: false });
  await sink.close();
  usage = createUsageQueryService({ dataDir: join(dir, 'data') });
  control = await startControlPlane({
    configDir: join(dir, 'config'),
    port: 0,
    logger: silentLogger,
    extraRoutes: dashboardRoutes({ usage, snapshot: () => control?.current() ?? null }),
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await control?.close();
  await usage?.close();
  await rm(dir, { recursive: true, force: true });
});

const money = (usdText: string) =>
  `$${Number(usdText).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** PNG width/height from the IHDR chunk. */
async function pngSize(file: string): Promise<{ width: number; height: number }> {
  const buf = await readFile(file);
  expect(buf.subarray(1, 4).toString()).toBe('PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe('usage dashboard (headless Chromium)', () => {
  it('renders the real numbers from the usage API', async () => {
    expect(control!.current()).not.toBeNull();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${control!.url}/dashboard?from=${FROM}&to=${TO}#token=${ADMIN}`);
    await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
    expect(await page.getAttribute('body', 'data-loaded')).toBe('true');

    const totalPico = EVENTS.reduce((a, e) => a + BigInt(e.cost_pico), 0n);
    const savedPico = EVENTS.reduce((a, e) => a + BigInt(e.saved_pico), 0n);
    const hits = EVENTS.filter((e) => e.cache_tier === 'hit-exact').length;
    const misses = EVENTS.filter((e) => e.cache_tier === 'miss').length;
    expect(await page.textContent('#total-spend')).toBe(money(formatBig(totalPico, 12)));
    expect(await page.getAttribute('#total-spend', 'data-exact')).toBe(formatBig(totalPico, 12));
    expect(await page.textContent('#total-requests')).toBe(EVENTS.length.toLocaleString('en-US'));
    expect(await page.textContent('#cache-hit-rate')).toBe(`${((hits / (hits + misses)) * 100).toFixed(1)}%`);
    expect(await page.textContent('#cache-savings')).toBe(money(formatBig(savedPico, 12)));

    // Top key = the key with the highest spend.
    const byKey = new Map<string, bigint>();
    for (const e of EVENTS) byKey.set(e.key, (byKey.get(e.key) ?? 0n) + BigInt(e.cost_pico));
    const top = [...byKey.entries()].sort((a, b) => (b[1] > a[1] ? 1 : -1))[0]!;
    expect(await page.getAttribute('#top-keys tbody tr:first-child', 'data-key')).toBe(top[0]);
    expect(await page.getAttribute('#top-keys tbody tr:first-child td:last-child', 'data-exact')).toBe(
      formatBig(top[1], 12),
    );

    // Budget of team search: spend in the current month from the store.
    const monthStart = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1);
    const searchSpent = EVENTS.filter((e) => e.team === 'search' && e.ts_ms >= monthStart).reduce(
      (a, e) => a + e.cost_micros,
      0,
    );
    expect(await page.textContent('#budgets tr[data-node="team:search"] .spent')).toBe(
      money(String(searchSpent / 1e6)),
    );

    // Both charts drew bars and name their groups.
    expect(await page.locator('#chart-team svg rect').count()).toBeGreaterThan(24);
    expect(await page.locator('#chart-model .legend [data-group]').count()).toBe(2);
    expect(await page.locator('#chart-team .legend [data-group="search"]').count()).toBe(1);

    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    const { width, height } = await pngSize(shot);
    expect(width).toBe(1280);
    expect(height).toBeGreaterThan(800);
    expect((await stat(shot)).size).toBeGreaterThan(40_000);
    if (process.env.SLUICE_KEEP_SCREENSHOT) await cp(shot, process.env.SLUICE_KEEP_SCREENSHOT);
    await page.close();
  });

  it('says so when the admin token is wrong', async () => {
    const page = await browser.newPage();
    await page.goto(`${control!.url}/dashboard?from=${FROM}&to=${TO}#token=wrong`);
    await page.waitForSelector('body[data-loaded]');
    expect(await page.getAttribute('body', 'data-loaded')).toBe('error');
    expect(await page.textContent('#status')).toMatch(/admin token required/);
    await page.close();
  });
});
