/** Hot-path metric slots: same Prometheus output as prom-client's own inc()/observe(). */
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counterSlot, flushCounterSlots, HistogramSlot } from '../../../data-plane/observability/metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];
const VALUES = [0.0005, 0.001, 0.003, 0.2, 0.2, 9.99, 100, 0];

function histograms() {
  const registry = new Registry();
  const make = (name: string) =>
    new Histogram({
      name,
      help: 'h',
      labelNames: ['route', 'stream'] as const,
      buckets: BUCKETS,
      registers: [registry],
    });
  return { registry, viaSlot: make('h_slot'), viaApi: make('h_api') };
}

describe('HistogramSlot', () => {
  it('renders exactly what observe() renders, across label sets', async () => {
    const { registry, viaSlot, viaApi } = histograms();
    const a = new HistogramSlot(viaSlot as Histogram<string>, { route: 'a', stream: 'false' }, BUCKETS);
    const b = new HistogramSlot(viaSlot as Histogram<string>, { route: 'b', stream: 'true' }, BUCKETS);
    for (const v of VALUES) {
      a.observe(v);
      viaApi.observe({ route: 'a', stream: 'false' }, v);
    }
    b.observe(0.05);
    viaApi.observe({ route: 'b', stream: 'true' }, 0.05);
    const slot = (await registry.getSingleMetricAsString('h_slot')).replaceAll('h_slot', 'h');
    const api = (await registry.getSingleMetricAsString('h_api')).replaceAll('h_api', 'h');
    expect(slot).toBe(api);
    expect(slot).toContain('h_count{route="a",stream="false"} 8');
  });

  it('keeps counting after the histogram was reset', async () => {
    const { registry, viaSlot } = histograms();
    const a = new HistogramSlot(viaSlot as Histogram<string>, { route: 'a', stream: 'false' }, BUCKETS);
    a.observe(0.5);
    viaSlot.reset();
    a.observe(0.5);
    a.observe(0.5);
    expect(await registry.getSingleMetricAsString('h_slot')).toContain('h_slot_count{route="a",stream="false"} 2');
  });
});

describe('CounterSlot', () => {
  it('adds pending increments when the counter is read, exactly once', async () => {
    const registry = new Registry();
    const counter: Counter<string> = new Counter({
      name: 'c_total',
      help: 'c',
      labelNames: ['route'],
      registers: [registry],
      collect() {
        flushCounterSlots(this as unknown as Counter<string>);
      },
    });
    const a = counterSlot(counter, { route: 'a' });
    const b = counterSlot(counter, { route: 'b' });
    a.inc();
    a.inc();
    b.inc(5);
    const first = await registry.getSingleMetricAsString('c_total');
    expect(first).toContain('c_total{route="a"} 2');
    expect(first).toContain('c_total{route="b"} 5');
    expect(await registry.getSingleMetricAsString('c_total')).toBe(first);
    a.inc();
    expect(await registry.getSingleMetricAsString('c_total')).toContain('c_total{route="a"} 3');
    expect((await counter.get()).values.find((v) => v.labels.route === 'b')?.value).toBe(5);
  });
});
