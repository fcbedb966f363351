import { ConfigCompiler } from '../control-plane/compile/index.ts';
for (let i = 0; i < 4; i++) {
  const t = performance.now();
  const c = new ConfigCompiler('examples/config');
  const r = await c.compile();
  console.log(i, r.ok, (performance.now() - t).toFixed(1), 'ms');
}
