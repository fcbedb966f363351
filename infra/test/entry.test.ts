import { beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURE_CONFIG_DIR,
  installMocks,
  type RecordedResource,
  resolveOutput,
  setStackConfig,
  TYPES,
} from './mocks.js';

/** The Pulumi entry point as `pulumi up` loads it: config from the stack, outputs as module exports. */
let recorded: RecordedResource[];
let entry: Record<string, unknown>;

beforeAll(async () => {
  recorded = await installMocks();
  setStackConfig(
    { namespace: 'sluice-entry', configDir: FIXTURE_CONFIG_DIR },
    {
      openaiApiKey: 'sk-test-SECRET-123',
      anthropicApiKey: 'sk-ant-test-SECRET-456',
      searchAlertWebhook: 'https://hooks.example.com/SECRET-789',
      redisPassword: 'redisSECRETpassword0001',
      clickhousePassword: 'chSECRETpassword0002',
    },
  );
  entry = (await import('../index.js')) as Record<string, unknown>;
});

describe('infra/index.ts', () => {
  it('exports the service URLs as stack outputs', async () => {
    expect(Object.keys(entry).sort()).toEqual([
      'clickhouseUrl',
      'controlPlaneSnapshotsUrl',
      'controlPlaneUrl',
      'dataPlaneExternalAddress',
      'dataPlaneUrl',
      'namespace',
      'providerCredentialEnv',
      'qdrantUrl',
      'redisUrl',
    ]);
    expect(await resolveOutput(entry.namespace as string)).toBe('sluice-entry');
    expect(entry.dataPlaneUrl).toBe('http://sluice-data-plane.sluice-entry.svc.cluster.local:8080');
    expect(entry.controlPlaneSnapshotsUrl).toBe(
      'ws://sluice-control-plane.sluice-entry.svc.cluster.local:7070/v1/snapshots',
    );
  });

  it('registers the deployment with the (mock) engine on import', async () => {
    await resolveOutput(entry.dataPlaneExternalAddress as string | null);
    expect(recorded.some((r) => r.type === TYPES.deployment && r.name === 'sluice-data-plane')).toBe(true);
    expect(recorded.some((r) => r.type === TYPES.namespace && r.name === 'sluice-entry')).toBe(true);
  });
});
