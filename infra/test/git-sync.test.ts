import { beforeAll, describe, expect, it } from 'vitest';
import type { SluiceStack } from '../program.js';
import {
  at,
  find,
  installMocks,
  type RecordedResource,
  resolveOutput,
  setStackConfig,
  settle,
  TYPES,
} from './mocks.js';
import { findSecretValues } from './secret-scan.js';

/** A second stack shape: git-sync config source, fixed replicas without HPA, LoadBalancer, no NetworkPolicies. */
let recorded: RecordedResource[];
let stack: SluiceStack;

type Container = {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};

beforeAll(async () => {
  recorded = await installMocks();
  setStackConfig(
    {
      // No local checkout: credentials are listed explicitly.
      configDir: '/nonexistent/sluice-config',
      credentials: ['OPENAI_API_KEY'],
      controlPlane: {
        port: 9090,
        configSource: {
          mode: 'git-sync',
          repo: 'https://git.example.com/acme/sluice-config.git',
          ref: 'release',
          subPath: 'config/prod',
          period: '15s',
          username: 'sluice-bot',
        },
      },
      dataPlane: { replicas: 4, autoscaling: { enabled: false }, serviceType: 'LoadBalancer', minAvailable: 2 },
      networkPolicies: 'false',
    },
    {
      openaiApiKey: 'sk-test-SECRET-123',
      gitSyncPassword: 'ghp-SECRET-git-token',
      redisPassword: 'redisSECRETpassword0001',
      clickhousePassword: 'chSECRETpassword0002',
    },
  );
  const { loadStackConfig } = await import('../config.js');
  const { createStack } = await import('../program.js');
  stack = createStack(loadStackConfig());
  await settle(stack);
});

describe('git-sync mode', () => {
  it('syncs the repository into a shared volume (init clone + sidecar) and points the control plane at it', async () => {
    const dep = find(recorded, TYPES.deployment, 'sluice-control-plane');
    const spec = at(dep.inputs, 'spec.template.spec') as {
      initContainers: Container[];
      containers: Container[];
      volumes: { name: string; emptyDir?: object; configMap?: object }[];
      securityContext: { fsGroup?: number };
    };
    expect(spec.initContainers.map((c) => c.name)).toEqual(['git-sync-init']);
    expect(spec.containers.map((c) => c.name)).toEqual(['control-plane', 'git-sync']);
    const [cp, sidecar] = spec.containers;
    expect(cp.command).toEqual([
      'sluice',
      'control-plane',
      '--config',
      '/git/current/config/prod',
      '--port',
      '9090',
      '--host',
      '0.0.0.0',
    ]);
    expect(cp.volumeMounts).toContainEqual({ name: 'git', mountPath: '/git', readOnly: true });
    expect(sidecar.volumeMounts).toContainEqual({ name: 'git', mountPath: '/git' });
    expect(spec.volumes.find((v) => v.name === 'git')?.emptyDir).toEqual({});
    expect(spec.volumes.some((v) => v.configMap)).toBe(false);
    expect(spec.securityContext.fsGroup).toBe(65533);

    const env = new Map((sidecar.env ?? []).map((e) => [e.name, e]));
    expect(env.get('GITSYNC_REPO')?.value).toBe('https://git.example.com/acme/sluice-config.git');
    expect(env.get('GITSYNC_REF')?.value).toBe('release');
    expect(env.get('GITSYNC_PERIOD')?.value).toBe('15s');
    expect(env.get('GITSYNC_USERNAME')?.value).toBe('sluice-bot');
    const gitSecret = await resolveOutput(stack.secrets.gitCredentials!.metadata.name);
    expect(env.get('GITSYNC_PASSWORD')).toEqual({
      name: 'GITSYNC_PASSWORD',
      valueFrom: { secretKeyRef: { name: gitSecret, key: 'password' } },
    });
    const initEnv = new Map((spec.initContainers[0].env ?? []).map((e) => [e.name, e.value]));
    expect(initEnv.get('GITSYNC_ONE_TIME')).toBe('true');
    expect(recorded.filter((r) => r.type === TYPES.configMap)).toEqual([]);
  });

  it('keeps the git token in a Secret only', () => {
    const hits = findSecretValues(recorded, ['ghp-SECRET-git-token', 'sk-test-SECRET-123']);
    expect(hits.length).toBeGreaterThanOrEqual(2);
    for (const h of hits) {
      expect(h.resource.startsWith(`${TYPES.secret} `)).toBe(true);
      expect(h.markedSecret).toBe(true);
    }
  });

  it('takes credentials from the explicit list when no config folder is scanned', () => {
    const env = at(
      find(recorded, TYPES.deployment, 'sluice-data-plane').inputs,
      'spec.template.spec.containers.0.env',
    ) as {
      name: string;
    }[];
    expect(env.map((e) => e.name)).toContain('OPENAI_API_KEY');
    expect(stack.outputs.providerCredentialEnv).toEqual(['OPENAI_API_KEY']);
  });

  it('runs a fixed replica count without an HPA, and the control-plane URL follows the port', () => {
    const dep = find(recorded, TYPES.deployment, 'sluice-data-plane');
    expect(at(dep.inputs, 'spec.replicas')).toBe(4);
    expect(recorded.filter((r) => r.type === TYPES.hpa)).toEqual([]);
    expect(at(find(recorded, TYPES.pdb, 'sluice-data-plane').inputs, 'spec.minAvailable')).toBe(2);
    const env = at(dep.inputs, 'spec.template.spec.containers.0.env') as { name: string; value?: string }[];
    expect(env.find((e) => e.name === 'SLUICE_CONTROL_PLANE_URL')?.value).toBe(
      'ws://sluice-control-plane.sluice.svc.cluster.local:9090/v1/snapshots',
    );
  });

  it('exposes the data plane through a LoadBalancer and creates no NetworkPolicies when disabled', () => {
    expect(at(find(recorded, TYPES.service, 'sluice-data-plane').inputs, 'spec.type')).toBe('LoadBalancer');
    expect(recorded.filter((r) => r.type === TYPES.networkPolicy)).toEqual([]);
  });
});
