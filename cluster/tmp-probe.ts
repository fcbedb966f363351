import { execSync } from 'node:child_process';
import net from 'node:net';
import { startCluster } from './cluster.js';
const c = await startCluster({ configDir: 'test/cluster/fixtures/config', replicas: 2, basePort: 0, controlPlanePort: 0, host: '127.0.0.1', redisUrl: 'redis://127.0.0.1:6390', redisPrefix: 'probe:', balancerPort: null, dataDir: '/tmp/gcl/probe', logLevel: 'warn', echo: false, readyTimeoutMs: 120000 });
const port = c.controlPlane.port;
for (let i = 0; i < 5; i++) await c.status();
await c.stopControlPlane();
const t = Date.now();
for (let i = 0; i < 40; i++) {
  const r = await new Promise((res) => { const s = net.createServer(); s.once('error', (e) => res(e.code)); s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => res('ok'))); });
  if (r !== 'ok' || i % 10 === 0) console.log(Date.now() - t, r, r !== 'ok' ? execSync(`ss -tanpe | grep ':${port}' || true`).toString() : '');
  await new Promise((r) => setTimeout(r, 200));
}
await c.close();
