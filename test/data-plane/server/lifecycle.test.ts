import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestDataPlane } from '../../helpers/data-plane.js';
import { makeSnapshot, route } from '../../helpers/snapshot.js';
import { AUTH, chatBody, chunk, completion, sleep, testPipeline, waitFor } from './fixtures.js';

describe('graceful close', () => {
  it('stops accepting, lets in-flight requests and streams finish, then closes the pipeline', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered = 0;
    const pipeline = testPipeline(async (ctx) => {
      entered++;
      await gate;
      if (!ctx.stream) return { type: 'json', status: 200, body: completion('late but complete') };
      return {
        type: 'stream',
        chunks: (async function* () {
          yield chunk({ content: 'a' });
          await sleep(50);
          yield chunk({ content: 'b' }, 'stop');
        })(),
      };
    });
    const dp = await startTestDataPlane({ snapshot: makeSnapshot(), pipeline });
    const json = fetch(`${dp.url}/v1/chat/completions`, { method: 'POST', headers: AUTH, body: chatBody() });
    const stream = fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: chatBody({ stream: true }),
    });
    await waitFor(() => entered === 2, 3000, 'both requests in the pipeline');
    const closing = dp.close();
    await sleep(50);
    expect(pipeline.closed).toBe(false);
    // New connections are refused once closing started.
    await expect(fetch(`${dp.url}/healthz`, { headers: { connection: 'close' } })).rejects.toThrow();
    release();
    const j = await json;
    expect(j.status).toBe(200);
    expect(((await j.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe(
      'late but complete',
    );
    const s = await stream;
    expect(await s.text()).toContain('data: [DONE]');
    await closing;
    expect(pipeline.closed).toBe(true);
  });

  it('cuts requests still running after the drain timeout', async () => {
    let finallyRan = false;
    const pipeline = testPipeline(async () => ({
      type: 'stream',
      chunks: (async function* () {
        try {
          for (;;) {
            yield chunk({ content: '.' });
            await sleep(20);
          }
        } finally {
          finallyRan = true;
        }
      })(),
    }));
    const dp = await startTestDataPlane({ snapshot: makeSnapshot(), pipeline, drainTimeoutMs: 200 });
    const res = await fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: chatBody({ stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    const t0 = Date.now();
    await dp.close();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(finallyRan).toBe(true);
    expect(pipeline.closed).toBe(true);
  });
});

describe('snapshot file', () => {
  it('loads a compiled snapshot file at start-up', async () => {
    const probe = await startTestDataPlane({
      pipeline: testPipeline(async () => ({ type: 'json', status: 200, body: {} })),
    });
    const file = join(probe.dataDir, 'snapshot.json');
    const s = makeSnapshot({ version: 'v-from-file' });
    await writeFile(file, JSON.stringify(s));
    const dp = await startTestDataPlane({
      pipeline: testPipeline(async () => ({ type: 'json', status: 200, body: completion('ok') })),
      config: { snapshotFile: file },
    });
    try {
      expect(dp.snapshot()?.version).toBe('v-from-file');
      expect(
        (await fetch(`${dp.url}/v1/chat/completions`, { method: 'POST', headers: AUTH, body: chatBody() })).status,
      ).toBe(200);
      const bad = join(probe.dataDir, 'bad.json');
      await writeFile(bad, JSON.stringify(makeSnapshot({ routes: [route('r', { fallback: ['nope'] })] })));
      await expect(
        startTestDataPlane({
          pipeline: testPipeline(async () => ({ type: 'json', status: 200, body: {} })),
          config: { snapshotFile: bad },
        }),
      ).rejects.toThrow(/fallback route nope does not exist/);
    } finally {
      await dp.close();
      await probe.close();
    }
  });
});
