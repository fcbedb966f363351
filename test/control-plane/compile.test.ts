import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { versionOf } from '../../control-plane/compile/build-snapshot.js';
import { ConfigCompiler, compileConfigDir } from '../../control-plane/compile/index.js';
import { copyExamples, EXAMPLES, edit } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function copy() {
  const c = await copyExamples();
  cleanups.push(c.cleanup);
  return c.dir;
}

describe('compile', () => {
  it('compiles examples/config without errors or warnings', async () => {
    const result = await compileConfigDir(EXAMPLES);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.snapshot?.version).toMatch(/^v-[0-9a-f]{16}$/);
  });

  it('is deterministic: same input → byte-identical snapshot, across compilers and folder copies', async () => {
    const a = await compileConfigDir(EXAMPLES);
    const b = await compileConfigDir(EXAMPLES);
    const c = await compileConfigDir(await copy());
    expect(JSON.stringify(a.snapshot)).toBe(JSON.stringify(b.snapshot));
    expect(JSON.stringify(a.snapshot)).toBe(JSON.stringify(c.snapshot));
    expect(versionOf(a.snapshot!)).toBe(a.snapshot!.version);
  });

  it('ignores YAML key order, comments and document order', async () => {
    const dir = await copy();
    const before = (await compileConfigDir(dir)).snapshot!.version;
    const file = join(dir, 'teams/search.yaml');
    await edit(file, '  tpm: 800000\n  rpm: 3000\n', '  rpm: 3000 # reordered\n  tpm: 800000\n');
    await edit(file, 'tags:\n  cost_center: cc-4101\n', '# a comment\ntags:\n  cost_center: cc-4101\n');
    expect((await compileConfigDir(dir)).snapshot!.version).toBe(before);
  });

  it.each([
    ['a budget amount', 'teams/search.yaml', 'amount: "2000.00"', 'amount: "2000.01"'],
    ['a routing weight', 'routes.yaml', 'weight: 80', 'weight: 79'],
    ['a fallback chain', 'routes.yaml', 'fallback: [gpt-4o, chat-default]', 'fallback: [chat-default]'],
    [
      'a price',
      'pricing/hosted.yaml',
      'output: "15.00"\n      cached_input: "0.30"',
      'output: "15.01"\n      cached_input: "0.30"',
    ],
    ['a key status', 'teams/support.yaml', 'priority: 5', 'priority: 5\nstatus: disabled'],
    ['a cache threshold', 'cache-policies.yaml', 'threshold: 0.90', 'threshold: 0.91'],
    ['a guardrail', 'policies/guardrails.yaml', 'email: redact', 'email: block'],
    ['a gateway setting', 'org.yaml', 'reservation_buffer_percent: 10', 'reservation_buffer_percent: 11'],
  ])('changes the version when %s changes', async (_what, file, from, to) => {
    const dir = await copy();
    const before = (await compileConfigDir(dir)).snapshot!.version;
    await edit(join(dir, file), from, to);
    const after = await compileConfigDir(dir);
    expect(after.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(after.snapshot!.version).not.toBe(before);
  });

  it('resolves keys: chain, allow-list intersection, cache policy precedence, guardrail order, merged tags', async () => {
    const s = (await compileConfigDir(EXAMPLES)).snapshot!;
    const byName = Object.fromEntries(Object.values(s.keys).map((k) => [k.name, k]));
    const dev = byName['search-dev'];
    expect(dev.chain).toEqual(['key:search-dev', 'team:search', 'org:acme']);
    expect(dev.allowedRoutes).toEqual(['chat-default', 'embeddings']); // key ∩ team ("chat-*", …) ∩ org (all)
    expect(dev.cachePolicy).toBeNull(); // key says "none"
    expect(byName['search-prod'].cachePolicy).toBe('standard'); // inherited from the org
    expect(byName['support-bot'].cachePolicy).toBe('faq-relaxed'); // team overrides org
    expect(byName['clinical-notes'].guardrails).toEqual(['baseline', 'pii-block']); // org first, then team
    expect(byName['search-prod'].tags).toEqual({ company: 'acme', cost_center: 'cc-4101', environment: 'production' });
    expect(byName['support-bot'].allowedRoutes).toEqual(['*']);
    expect(byName['support-intern'].status).toBe('revoked');
    expect(dev.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(s.keys[dev.hash]).toBe(dev);
  });

  it('converts money, durations and dates exactly and sorts prices by date', async () => {
    const s = (await compileConfigDir(EXAMPLES)).snapshot!;
    expect(s.nodes['org:acme'].budget).toEqual({ amountMicros: 5_000_000_000, period: 'monthly', timezone: 'UTC' });
    expect(s.nodes['team:support'].budget?.timezone).toBe('Europe/Berlin');
    expect(
      s.pricing['openai/gpt-4o'].map((p) => [p.effectiveFrom, p.inputPico, p.outputPico, p.cachedInputPico]),
    ).toEqual([
      [Date.UTC(2024, 4, 13), 5_000_000, 15_000_000, 5_000_000],
      [Date.UTC(2024, 9, 1), 2_500_000, 10_000_000, 1_250_000],
    ]);
    expect(s.providers.simulated.simulated).toEqual({
      latencyMs: 40,
      interChunkMs: 5,
      outputTokens: 48,
      errorRate: 0,
      seed: 7,
    });
    expect(s.routes['chat-default'].retry).toEqual({
      attempts: 2,
      baseDelayMs: 100,
      maxDelayMs: 2000,
      on: ['rate_limit', 'server_error', 'timeout', 'connection'],
    });
    expect(s.gateway.adminKeyHashes).toEqual(['b1d07e37fb67b3196c925a75e9f7164faa0e71ed0dc3a850bbfe103bb4b41e3d']);
    expect(s.cachePolicies['clinical-strict'].semantic.threshold).toBe(0.99);
  });

  it('recompiles incrementally: only the changed file is re-read', async () => {
    const dir = await copy();
    const compiler = new ConfigCompiler(dir);
    const first = await compiler.compile();
    const file = join(dir, 'teams/search.yaml');
    await edit(file, 'amount: "2000.00"', 'amount: "1900.00"');
    const second = await compiler.compile([file]);
    expect(second.ok).toBe(true);
    expect(second.snapshot!.nodes['team:search'].budget?.amountMicros).toBe(1_900_000_000);
    expect(second.snapshot!.version).not.toBe(first.snapshot!.version);
    // A full compile of the same folder agrees with the incremental result.
    expect((await compileConfigDir(dir)).snapshot!.version).toBe(second.snapshot!.version);
  });

  it('keeps the published schema file in sync with its definitions', async () => {
    const { configSchema } = await import('../../schemas/definitions/index.js');
    const published = JSON.parse(await readFile(join(import.meta.dirname, '../../schemas/sluice.schema.json'), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(configSchema)));
  });

  it('every example file starts with the yaml-language-server schema comment', async () => {
    const { listConfigFiles } = await import('../../control-plane/load/load-dir.js');
    for (const file of await listConfigFiles(EXAMPLES)) {
      const first = (await readFile(file, 'utf8')).split('\n')[0];
      expect(first, file).toMatch(/^# yaml-language-server: \$schema=(\.\.\/)+schemas\/sluice\.schema\.json$/);
    }
  });
});
