/** A Router wired to fakes: scripted adapter, recording gate, controllable clock and sleeps. */
import type { Snapshot } from '../../../common/snapshot.js';
import type { ProviderAccountGate } from '../../../data-plane/pipeline/deps.js';
import { seededRng } from '../../../data-plane/routing/backoff.js';
import { clientClosed } from '../../../data-plane/routing/errors.js';
import { Router } from '../../../data-plane/routing/router.js';
import { TargetHealth } from '../../../data-plane/routing/target-health.js';
import { FakeAdapter } from './fake-adapter.js';

export interface GateCall {
  op: 'acquire' | 'settle';
  provider: string;
  tokens: number;
  actual?: number;
}

export function harness(opts: { refuse?: Set<string>; seed?: number; defaultSleep?: boolean } = {}) {
  const clock = { t: 1_700_000_000_000 };
  const now = () => clock.t;
  const adapter = new FakeAdapter();
  const gateCalls: GateCall[] = [];
  const gate: ProviderAccountGate = {
    async tryAcquire(_s: Snapshot, provider: string, tokens: number) {
      gateCalls.push({ op: 'acquire', provider, tokens });
      return !opts.refuse?.has(provider);
    },
    settle(_s: Snapshot, provider: string, reserved: number, actual: number) {
      gateCalls.push({ op: 'settle', provider, tokens: reserved, actual });
    },
  };
  const sleeps: number[] = [];
  const health = new TargetHealth(now);
  const router = new Router({
    adapterFor: () => adapter,
    providerGate: gate,
    health,
    rng: seededRng(opts.seed ?? 42),
    now,
    sleep: opts.defaultSleep
      ? undefined
      : async (ms, signal) => {
          sleeps.push(ms);
          if (signal.aborted) throw clientClosed();
          clock.t += ms;
        },
  });
  return { router, adapter, gateCalls, sleeps, health, clock };
}
