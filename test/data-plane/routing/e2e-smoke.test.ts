import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServer, startFakeOpenAI } from '../../fakes/index.js';
import { startTestDataPlane, type TestDataPlane } from '../../helpers/data-plane.js';
import { makeSnapshot } from '../../helpers/snapshot.js';
import { chat } from './e2e-helpers.js';

let fake: FakeServer;
let dp: TestDataPlane;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dp = await startTestDataPlane({ snapshot: makeSnapshot({ baseUrl: fake.url }) });
});
afterAll(async () => {
  await dp?.close();
  await fake?.close();
});

describe('smoke', () => {
  it('answers through the router', async () => {
    const r = await chat(dp.url, { model: 'gpt-test' });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('x-sluice-provider')).toBe('fake');
  });
});
