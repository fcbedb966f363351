import { execSync } from 'node:child_process';
import net from 'node:net';
import { startCluster } from './cluster.js';
const c = await startCluster({ configDir: 'test/cluster/fixtures/config', replicas: 2, basePort: 0, controlPlanePort: 0, host: '127.0.0.1', redisUrl: 'redis://127.0.0.1:6390', redisPrefix: 'probe:', balancerPort: null, dataDir: '/tmp/gcl/probe', logLevel: 'warn', echo: false, readyTimeoutMs: 120000 });
const port = c.controlPlane.port;
for (let i = 0; i < 5; i++) await c.status();
await c.stopControlPlane();
const t = Date.now();
for (let i = 0; i < 80; i++) {
  const r = await new Promise((res) => { const s = net.createServer(); s.once('error', (e) => res(e.code)); s.listen({ port, host: '127.0.0.1' }, () => s.close(() => res('ok'))); });
  if (r === 'ok') { console.log('bind ok after', Date.now() - t, 'ms'); break; }
  if (i % 10 === 0) console.log(Date.now() - t, r, execSync(`ss -tan | grep ':${port}' | wc -l`).toString().trim(), 'sockets on port');
  await new Promise((r) => setTimeout(r, 1000));
}
await c.close();
