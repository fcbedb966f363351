import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../control-plane/cli/command.js';
import { command } from '../../control-plane/cli/commands/cache.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeServer } from '../fakes/types.js';
import { startTestDataPlane, type TestDataPlane } from '../helpers/data-plane.js';
import { TEST_ADMIN_TOKEN } from '../helpers/snapshot.js';
import { cachePolicy, cacheSnapshot, KEY_A } from './helpers.js';

describe('sluice cache CLI', () => {
  let fake: FakeServer;
  let dp: TestDataPlane;
  const out: string[] = [];
  beforeAll(async () => {
    fake = await startFakeOpenAI({ text: 'cached' });
    const policy = cachePolicy({ semantic: { ...cachePolicy().semantic, enabled: false } });
    dp = await startTestDataPlane({ snapshot: cacheSnapshot(policy, fake.url) });
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  }, 60_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await dp?.close();
    await fake?.close();
  });

  const ask = () =>
    fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'cli question' }] }),
    });
  const cli = (...args: string[]) => command.run([...args, '--url', dp.url, '--admin-token', TEST_ADMIN_TOKEN]);

  it('stats, feedback and purge against a running data plane', async () => {
    await ask();
    await new Promise((r) => setTimeout(r, 30));
    const hit = await ask();
    expect(hit.headers.get('x-sluice-cache')).toBe('hit-exact');

    out.length = 0;
    expect(await cli('stats')).toBe(0);
    expect(out.join('\n')).toMatch(/exact store:\s+memory, 1 entries/);
    expect(out.join('\n')).toMatch(/hit rate:\s+exact 50\.0%/);

    out.length = 0;
    expect(await cli('feedback', '--request-id', hit.headers.get('x-request-id')!)).toBe(0);
    expect(out.join('\n')).toMatch(/counted as a false positive/);
    await ask();
    await new Promise((r) => setTimeout(r, 30));

    out.length = 0;
    expect(await cli('purge', '--namespace', 'team:alpha')).toBe(0);
    expect(out.join('\n')).toBe('purged 1 exact and 0 semantic entries');
    expect((await ask()).headers.get('x-sluice-cache')).toBe('miss');

    expect(await command.run(['stats', '--url', dp.url, '--admin-token', 'wrong'])).toBe(1);
  });

  it('rejects bad usage', async () => {
    await expect(cli('purge')).rejects.toThrow(UsageError);
    await expect(cli('explode')).rejects.toThrow(UsageError);
    await expect(cli('feedback')).rejects.toThrow(UsageError);
  });
});
