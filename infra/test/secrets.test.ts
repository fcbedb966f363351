import { beforeAll, describe, expect, it } from 'vitest';
import type { SluiceStack } from '../program.js';
import {
  at,
  FIXTURE_CONFIG_DIR,
  find,
  installMocks,
  type RecordedResource,
  resolveOutput,
  SECRET_SIG,
  SIG_KEY,
  setStackConfig,
  settle,
  TYPES,
} from './mocks.js';
import { findSecretValues } from './secret-scan.js';

const SECRETS = {
  openaiApiKey: 'sk-test-SECRET-123',
  anthropicApiKey: 'sk-ant-test-SECRET-456',
  searchAlertWebhook: 'https://hooks.example.com/SECRET-789',
  redisPassword: 'redisSECRETpassword0001',
  clickhousePassword: 'chSECRETpassword0002',
};
const NEEDLES = Object.values(SECRETS);

let recorded: RecordedResource[];
let stack: SluiceStack;

beforeAll(async () => {
  recorded = await installMocks();
  setStackConfig({ namespace: 'sluice-secrets', configDir: FIXTURE_CONFIG_DIR }, SECRETS);
  const { loadStackConfig } = await import('../config.js');
  const { createStack } = await import('../program.js');
  stack = createStack(loadStackConfig());
  await settle(stack);
});

describe('secret hygiene', () => {
  it('the scanner finds a planted plaintext secret (so a pass below means something)', () => {
    const planted: RecordedResource[] = [
      { type: TYPES.deployment, name: 'x', inputs: { spec: { env: [{ name: 'K', value: 'sk-test-SECRET-123' }] } } },
      {
        type: TYPES.secret,
        name: 'y',
        inputs: { stringData: { [SIG_KEY]: SECRET_SIG, value: { K: 'sk-test-SECRET-123' } } },
      },
    ];
    expect(findSecretValues(planted, NEEDLES)).toEqual([
      {
        resource: `${TYPES.deployment} x`,
        path: 'spec.env[0].value',
        markedSecret: false,
        needle: 'sk-test-SECRET-123',
      },
      { resource: `${TYPES.secret} y`, path: 'stringData.K', markedSecret: true, needle: 'sk-test-SECRET-123' },
    ]);
  });

  it('every secret value appears only in a Kubernetes Secret, as Pulumi-secret stringData', () => {
    const hits = findSecretValues(recorded, NEEDLES);
    // Each secret is deployed somewhere…
    for (const needle of NEEDLES)
      expect(
        hits.some((h) => h.needle === needle),
        needle,
      ).toBe(true);
    // …and nowhere but a Secret's stringData, always marked secret.
    for (const h of hits) {
      expect(h.resource.startsWith(`${TYPES.secret} `), `${h.resource} ${h.path}`).toBe(true);
      expect(h.path.startsWith('stringData.'), `${h.resource} ${h.path}`).toBe(true);
      expect(h.markedSecret, `${h.resource} ${h.path}`).toBe(true);
    }
  });

  it('the provider Secret has one key per env: reference of the config', () => {
    const secret = find(recorded, TYPES.secret, 'sluice-provider-credentials');
    expect(at(secret.inputs, 'stringData')).toEqual({
      ANTHROPIC_API_KEY: SECRETS.anthropicApiKey,
      OPENAI_API_KEY: SECRETS.openaiApiKey,
      SEARCH_ALERT_WEBHOOK: SECRETS.searchAlertWebhook,
    });
    // file: references are not env vars and get no Secret key.
    expect(Object.keys(at(secret.inputs, 'stringData') as object)).not.toContain('VLLM_TOKEN');
  });

  it('the data plane reads each credential by secretKeyRef, never as a literal value', async () => {
    const secretName = await resolveOutput(stack.secrets.providerCredentials!.metadata.name);
    const backendName = await resolveOutput(stack.secrets.backendCredentials.metadata.name);
    const env = at(
      find(recorded, TYPES.deployment, 'sluice-data-plane').inputs,
      'spec.template.spec.containers.0.env',
    ) as {
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef?: { name: string; key: string } };
    }[];
    const byName = new Map(env.map((e) => [e.name, e]));
    for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'SEARCH_ALERT_WEBHOOK']) {
      expect(byName.get(name), name).toEqual({ name, valueFrom: { secretKeyRef: { name: secretName, key: name } } });
    }
    expect(byName.get('SLUICE_REDIS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: backendName,
      key: 'redis-password',
    });
    expect(byName.get('SLUICE_CLICKHOUSE_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: backendName,
      key: 'clickhouse-password',
    });
  });

  it('Redis and ClickHouse get their passwords by secretKeyRef too', async () => {
    const backendName = await resolveOutput(stack.secrets.backendCredentials.metadata.name);
    const envOf = (name: string) =>
      at(find(recorded, TYPES.statefulSet, name).inputs, 'spec.template.spec.containers.0.env') as {
        name: string;
        valueFrom?: unknown;
      }[];
    expect(envOf('sluice-redis')).toContainEqual({
      name: 'REDIS_PASSWORD',
      valueFrom: { secretKeyRef: { name: backendName, key: 'redis-password' } },
    });
    expect(envOf('sluice-clickhouse')).toContainEqual({
      name: 'CLICKHOUSE_PASSWORD',
      valueFrom: { secretKeyRef: { name: backendName, key: 'clickhouse-password' } },
    });
  });

  it('no stack output carries a secret', async () => {
    const resolved = await Promise.all(Object.values(stack.outputs).map((o) => resolveOutput(o)));
    const text = JSON.stringify(resolved);
    for (const needle of NEEDLES) expect(text).not.toContain(needle);
  });
});
