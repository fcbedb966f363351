import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readyScript } from '../components/control-plane.js';
import type { SluiceStack } from '../program.js';
import {
  at,
  FIXTURE_CONFIG_DIR,
  find,
  installMocks,
  type RecordedResource,
  resolveOutput,
  setStackConfig,
  settle,
  TYPES,
} from './mocks.js';

const NS = 'sluice-test';
const host = (svc: string) => `${svc}.${NS}.svc.cluster.local`;

type Env = { name: string; value?: string; valueFrom?: Record<string, Record<string, string>> };
type Container = {
  name: string;
  image: string;
  command: string[];
  args?: string[];
  env?: Env[];
  ports?: { name: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  resources?: unknown;
};

let recorded: RecordedResource[];
let stack: SluiceStack;
let customCount: number;

function containers(r: RecordedResource): Container[] {
  return at(r.inputs, 'spec.template.spec.containers') as Container[];
}
function envOf(c: Container): Map<string, Env> {
  return new Map((c.env ?? []).map((e) => [e.name, e]));
}

beforeAll(async () => {
  recorded = await installMocks();
  setStackConfig(
    {
      namespace: NS,
      configDir: FIXTURE_CONFIG_DIR,
      image: 'registry.example.com/sluice',
      imageTag: '1.2.3',
      storageClassName: 'fast-ssd',
      dataPlane: {
        replicas: 3,
        autoscaling: { minReplicas: 3, maxReplicas: 12, cpuTargetPercent: 65 },
        resources: { requests: { cpu: '750m', memory: '768Mi' }, limits: { cpu: '3', memory: '2Gi' } },
      },
      redis: { storage: '8Gi', appendfsync: 'always' },
      qdrant: { storage: '15Gi' },
      clickhouse: { storage: '40Gi' },
      images: { redis: 'redis:7.4.2-alpine' },
    },
    {
      openaiApiKey: 'sk-test-SECRET-123',
      anthropicApiKey: 'sk-ant-test-SECRET-456',
      searchAlertWebhook: 'https://hooks.example.com/SECRET-789',
      redisPassword: 'redisSECRETpassword0001',
      clickhousePassword: 'chSECRETpassword0002',
    },
  );
  // Mocks first, then the program (its modules would otherwise bind to a runtime without a monitor).
  const { loadStackConfig } = await import('../config.js');
  const { createStack } = await import('../program.js');
  stack = createStack(loadStackConfig());
  customCount = await settle(stack);
});

describe('resources', () => {
  it('creates every object with its kind and name, and the stack object exposes all of them', () => {
    const names = (type: string) =>
      recorded
        .filter((r) => r.type === type)
        .map((r) => r.name)
        .sort();
    expect(names(TYPES.namespace)).toEqual([NS]);
    expect(names(TYPES.deployment)).toEqual(['sluice-control-plane', 'sluice-data-plane']);
    expect(names(TYPES.statefulSet)).toEqual(['sluice-clickhouse', 'sluice-qdrant', 'sluice-redis']);
    expect(names(TYPES.service)).toEqual([
      'sluice-clickhouse',
      'sluice-control-plane',
      'sluice-data-plane',
      'sluice-qdrant',
      'sluice-redis',
    ]);
    expect(names(TYPES.configMap)).toEqual(['sluice-config']);
    expect(names(TYPES.secret)).toEqual(['sluice-backend-credentials', 'sluice-provider-credentials']);
    expect(names(TYPES.hpa)).toEqual(['sluice-data-plane']);
    expect(names(TYPES.pdb)).toEqual(['sluice-data-plane']);
    expect(names(TYPES.networkPolicy)).toEqual([
      'sluice-clickhouse-ingress',
      'sluice-qdrant-ingress',
      'sluice-redis-ingress',
    ]);
    const k8sObjects = recorded.filter((r) => r.type.startsWith('kubernetes:') && !r.type.includes('providers'));
    expect(k8sObjects).toHaveLength(customCount);
  });

  it('puts every namespaced object into the configured namespace', () => {
    for (const r of recorded.filter((x) => x.type.startsWith('kubernetes:') && x.type !== TYPES.namespace)) {
      if (r.type.startsWith('pulumi:providers')) continue;
      expect(at(r.inputs, 'metadata.namespace'), `${r.type} ${r.name}`).toBe(NS);
    }
  });

  it('uses the configured images', () => {
    expect(containers(find(recorded, TYPES.deployment, 'sluice-data-plane'))[0].image).toBe(
      'registry.example.com/sluice:1.2.3',
    );
    expect(containers(find(recorded, TYPES.deployment, 'sluice-control-plane'))[0].image).toBe(
      'registry.example.com/sluice:1.2.3',
    );
    expect(containers(find(recorded, TYPES.statefulSet, 'sluice-redis'))[0].image).toBe('redis:7.4.2-alpine');
    expect(containers(find(recorded, TYPES.statefulSet, 'sluice-qdrant'))[0].image).toMatch(/^qdrant\/qdrant:v/);
  });
});

describe('control plane', () => {
  it('runs `sluice control-plane` on the config mounted from the ConfigMap, behind a Service on its port', () => {
    const dep = find(recorded, TYPES.deployment, 'sluice-control-plane');
    const c = containers(dep)[0];
    expect(c.command).toEqual([
      'sluice',
      'control-plane',
      '--config',
      '/config',
      '--port',
      '7070',
      '--host',
      '0.0.0.0',
    ]);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(at(c, 'readinessProbe.exec.command')).toEqual(['node', '-e', readyScript(7070)]);
    expect(c.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: 7070 })]);
    expect(c.volumeMounts).toContainEqual(expect.objectContaining({ name: 'config', mountPath: '/config' }));
    const svc = find(recorded, TYPES.service, 'sluice-control-plane');
    expect(at(svc.inputs, 'metadata.name')).toBe('sluice-control-plane');
    expect(at(svc.inputs, 'spec.ports.0')).toMatchObject({ port: 7070, targetPort: 'http' });
    expect(at(svc.inputs, 'spec.selector')).toEqual(at(dep.inputs, 'spec.selector.matchLabels'));
  });

  it('ships every YAML file of the config folder in an immutable ConfigMap and restores the layout', async () => {
    const cm = find(recorded, TYPES.configMap, 'sluice-config');
    expect(at(cm.inputs, 'immutable')).toBe(true);
    const data = at(cm.inputs, 'data') as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual([
      'organization.yaml',
      'providers.yaml',
      'teams__ml-platform.yaml',
      'teams__search.yml',
    ]);
    expect(data['providers.yaml']).toBe(readFileSync(join(FIXTURE_CONFIG_DIR, 'providers.yaml'), 'utf8'));
    expect(data['teams__ml-platform.yaml']).toBe(
      readFileSync(join(FIXTURE_CONFIG_DIR, 'teams', 'ml-platform.yaml'), 'utf8'),
    );
    const volumes = at(
      find(recorded, TYPES.deployment, 'sluice-control-plane').inputs,
      'spec.template.spec.volumes',
    ) as {
      name: string;
      configMap?: { name: string; items: { key: string; path: string }[] };
    }[];
    const vol = volumes.find((v) => v.name === 'config');
    // The Deployment references the ConfigMap's generated name, so a config change rolls the pod.
    expect(vol?.configMap?.name).toBe(await resolveOutput(stack.controlPlane.configMap!.metadata.name));
    expect(vol?.configMap?.name).toMatch(/^sluice-config-[0-9a-f]{8}$/);
    expect(vol?.configMap?.items).toContainEqual({ key: 'teams__ml-platform.yaml', path: 'teams/ml-platform.yaml' });
    expect(vol?.configMap?.items).toHaveLength(4);
  });
});

describe('data plane', () => {
  it('runs `sluice data-plane` with replicas, resources and probes from config', () => {
    const dep = find(recorded, TYPES.deployment, 'sluice-data-plane');
    expect(at(dep.inputs, 'spec.replicas')).toBe(3);
    const c = containers(dep)[0];
    expect(c.command).toEqual(['sluice', 'data-plane', '--port', '8080']);
    expect(c.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: 8080 })]);
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.resources).toEqual({
      requests: { cpu: '750m', memory: '768Mi' },
      limits: { cpu: '3', memory: '2Gi' },
    });
  });

  it('wires the control plane and every backend into SLUICE_* env by their Service names and ports', () => {
    const c = containers(find(recorded, TYPES.deployment, 'sluice-data-plane'))[0];
    const env = envOf(c);
    const port = (svc: string, name: string) =>
      (at(find(recorded, TYPES.service, svc).inputs, 'spec.ports') as { name: string; port: number }[]).find(
        (p) => p.name === name,
      )?.port;

    expect(env.get('SLUICE_CONTROL_PLANE_URL')?.value).toBe(
      `ws://${host('sluice-control-plane')}:${port('sluice-control-plane', 'http')}/v1/snapshots`,
    );
    expect(env.get('SLUICE_REDIS_URL')?.value).toBe(
      `redis://:$(SLUICE_REDIS_PASSWORD)@${host('sluice-redis')}:${port('sluice-redis', 'redis')}`,
    );
    expect(env.get('SLUICE_CLICKHOUSE_URL')?.value).toBe(
      `http://sluice:$(SLUICE_CLICKHOUSE_PASSWORD)@${host('sluice-clickhouse')}:${port('sluice-clickhouse', 'http')}/sluice`,
    );
    expect(env.get('SLUICE_QDRANT_URL')?.value).toBe(
      `http://${host('sluice-qdrant')}:${port('sluice-qdrant', 'http')}`,
    );
    expect(env.get('SLUICE_HOST')?.value).toBe('0.0.0.0');
    expect(env.get('SLUICE_PORT')?.value).toBe('8080');
    expect(env.get('SLUICE_REPLICA_ID')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
  });

  it('defines each $(VAR) before the URL that expands it (Kubernetes only expands earlier variables)', () => {
    const names = (containers(find(recorded, TYPES.deployment, 'sluice-data-plane'))[0].env ?? []).map((e) => e.name);
    for (const [url, pw] of [
      ['SLUICE_REDIS_URL', 'SLUICE_REDIS_PASSWORD'],
      ['SLUICE_CLICKHOUSE_URL', 'SLUICE_CLICKHOUSE_PASSWORD'],
    ]) {
      expect(names.indexOf(pw)).toBeGreaterThanOrEqual(0);
      expect(names.indexOf(pw)).toBeLessThan(names.indexOf(url));
    }
  });

  it('keeps SLUICE_DATA_DIR on a per-pod emptyDir', () => {
    const dep = find(recorded, TYPES.deployment, 'sluice-data-plane');
    const c = containers(dep)[0];
    const dir = envOf(c).get('SLUICE_DATA_DIR')?.value;
    const mount = c.volumeMounts?.find((m) => m.mountPath === dir);
    expect(mount).toBeDefined();
    const volumes = at(dep.inputs, 'spec.template.spec.volumes') as { name: string; emptyDir?: object }[];
    expect(volumes.find((v) => v.name === mount?.name)?.emptyDir).toEqual({});
  });

  it('scales with an autoscaling/v2 HPA on CPU between the configured bounds', () => {
    const hpa = find(recorded, TYPES.hpa, 'sluice-data-plane');
    expect(at(hpa.inputs, 'spec.scaleTargetRef')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'sluice-data-plane',
    });
    expect(at(hpa.inputs, 'spec.minReplicas')).toBe(3);
    expect(at(hpa.inputs, 'spec.maxReplicas')).toBe(12);
    expect(at(hpa.inputs, 'spec.metrics')).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } },
    ]);
  });

  it('is reachable through a Service selecting exactly its pods, and guarded by a PDB', () => {
    const dep = find(recorded, TYPES.deployment, 'sluice-data-plane');
    const svc = find(recorded, TYPES.service, 'sluice-data-plane');
    const podLabels = at(dep.inputs, 'spec.template.metadata.labels') as Record<string, string>;
    const selector = at(svc.inputs, 'spec.selector') as Record<string, string>;
    for (const [k, v] of Object.entries(selector)) expect(podLabels[k]).toBe(v);
    expect(at(svc.inputs, 'spec.ports.0')).toMatchObject({ port: 8080, targetPort: 'http' });
    expect(at(find(recorded, TYPES.pdb, 'sluice-data-plane').inputs, 'spec.minAvailable')).toBe(1);
  });
});

describe('backends', () => {
  const volumeClaim = (name: string) =>
    at(find(recorded, TYPES.statefulSet, name).inputs, 'spec.volumeClaimTemplates.0');

  it('gives Qdrant and ClickHouse (and Redis) a PersistentVolumeClaim of the configured size and class', () => {
    for (const [name, size, path] of [
      ['sluice-qdrant', '15Gi', '/qdrant/storage'],
      ['sluice-clickhouse', '40Gi', '/var/lib/clickhouse'],
      ['sluice-redis', '8Gi', '/data'],
    ]) {
      expect(volumeClaim(name), name).toMatchObject({
        metadata: { name: 'data' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'fast-ssd',
          resources: { requests: { storage: size } },
        },
      });
      const c = containers(find(recorded, TYPES.statefulSet, name))[0];
      expect(c.volumeMounts).toEqual([{ name: 'data', mountPath: path }]);
    }
  });

  it('runs Redis with AOF persistence (spend survives restarts) and no eviction', () => {
    const args = containers(find(recorded, TYPES.statefulSet, 'sluice-redis'))[0].args ?? [];
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--appendfsync')).toBe('always');
    expect(flag('--maxmemory-policy')).toBe('noeviction');
    expect(flag('--requirepass')).toBe('$(REDIS_PASSWORD)');
  });

  it('lets only data-plane pods reach the backends', () => {
    const dpLabels = at(find(recorded, TYPES.deployment, 'sluice-data-plane').inputs, 'spec.template.metadata.labels');
    for (const backend of ['sluice-redis', 'sluice-qdrant', 'sluice-clickhouse']) {
      const np = find(recorded, TYPES.networkPolicy, `${backend}-ingress`);
      const podLabels = at(find(recorded, TYPES.statefulSet, backend).inputs, 'spec.template.metadata.labels');
      expect(podLabels).toMatchObject(at(np.inputs, 'spec.podSelector.matchLabels') as object);
      expect(dpLabels).toMatchObject(at(np.inputs, 'spec.ingress.0.from.0.podSelector.matchLabels') as object);
    }
  });
});

describe('stack outputs', () => {
  it('exports the in-cluster service URLs', async () => {
    const o = stack.outputs;
    expect(await resolveOutput(o.namespace)).toBe(NS);
    expect(o.dataPlaneUrl).toBe(`http://${host('sluice-data-plane')}:8080`);
    expect(o.controlPlaneUrl).toBe(`http://${host('sluice-control-plane')}:7070`);
    expect(o.controlPlaneSnapshotsUrl).toBe(`ws://${host('sluice-control-plane')}:7070/v1/snapshots`);
    expect(o.redisUrl).toBe(`redis://${host('sluice-redis')}:6379`);
    expect(o.qdrantUrl).toBe(`http://${host('sluice-qdrant')}:6333`);
    expect(o.clickhouseUrl).toBe(`http://${host('sluice-clickhouse')}:8123`);
    expect(o.providerCredentialEnv).toEqual(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'SEARCH_ALERT_WEBHOOK']);
    expect(await resolveOutput(o.dataPlaneExternalAddress)).toBeNull();
  });
});
