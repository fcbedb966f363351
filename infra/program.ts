import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { CLICKHOUSE_HTTP_PORT, CLICKHOUSE_NATIVE_PORT, ClickHouse } from './components/clickhouse.js';
import { BACKEND_KEYS, labels, NAMES } from './components/common.js';
import { ControlPlane } from './components/control-plane.js';
import { DataPlane } from './components/data-plane.js';
import { NetworkPolicies } from './components/network-policies.js';
import { QDRANT_GRPC_PORT, QDRANT_HTTP_PORT, Qdrant } from './components/qdrant.js';
import { REDIS_PORT, Redis } from './components/redis.js';
import { SluiceSecrets } from './components/secrets.js';
import type { StackConfig } from './settings.js';

/** What `pulumi stack output` shows: in-cluster URLs (no credentials in any of them). */
export interface StackOutputs {
  namespace: pulumi.Output<string>;
  controlPlaneUrl: string;
  controlPlaneSnapshotsUrl: string;
  dataPlaneUrl: string;
  /** External address of the data-plane Service when serviceType is LoadBalancer, else null. */
  dataPlaneExternalAddress: pulumi.Output<string | null>;
  redisUrl: string;
  qdrantUrl: string;
  clickhouseUrl: string;
  providerCredentialEnv: string[];
}

export interface SluiceStack {
  namespace: k8s.core.v1.Namespace;
  secrets: SluiceSecrets;
  redis: Redis;
  qdrant: Qdrant;
  clickhouse: ClickHouse;
  controlPlane: ControlPlane;
  dataPlane: DataPlane;
  networkPolicies: NetworkPolicies | null;
  outputs: StackOutputs;
}

/** Builds the whole scaled-out deployment from validated stack config (see config.ts). */
export function createStack(cfg: StackConfig): SluiceStack {
  const namespace = new k8s.core.v1.Namespace(cfg.namespace, {
    metadata: { name: cfg.namespace, labels: labels(cfg.namespace, 'namespace') },
  });
  const ns = namespace.metadata.name;
  const gitSource = cfg.controlPlane.configSource;

  const secrets = new SluiceSecrets('sluice-secrets', {
    namespace: ns,
    credentials: cfg.credentials,
    backendPasswords: cfg.backendPasswords,
    gitSyncPassword: gitSource.mode === 'git-sync' && gitSource.auth ? gitSource.auth.password : null,
  });

  const storageClassName = cfg.storageClassName;
  const redis = new Redis('sluice-redis', {
    namespace: cfg.namespace,
    namespaceRef: ns,
    settings: cfg.redis,
    image: cfg.images.redis,
    storageClassName,
    secrets,
  });
  const qdrant = new Qdrant('sluice-qdrant', {
    namespace: cfg.namespace,
    namespaceRef: ns,
    settings: cfg.qdrant,
    image: cfg.images.qdrant,
    storageClassName,
  });
  const clickhouse = new ClickHouse('sluice-clickhouse', {
    namespace: cfg.namespace,
    namespaceRef: ns,
    settings: cfg.clickhouse,
    image: cfg.images.clickhouse,
    storageClassName,
    secrets,
  });

  const controlPlane = new ControlPlane('sluice-control-plane', {
    namespace: cfg.namespace,
    namespaceRef: ns,
    image: cfg.sluiceImage,
    imagePullPolicy: cfg.imagePullPolicy,
    gitSyncImage: cfg.images.gitSync,
    settings: cfg.controlPlane,
    secrets,
  });

  // Password env vars come first: Kubernetes expands $(VAR) only from variables defined earlier.
  const dataPlane = new DataPlane(
    'sluice-data-plane',
    {
      namespace: cfg.namespace,
      namespaceRef: ns,
      image: cfg.sluiceImage,
      imagePullPolicy: cfg.imagePullPolicy,
      settings: cfg.dataPlane,
      backendEnv: [
        { name: 'SLUICE_CONTROL_PLANE_URL', value: controlPlane.snapshotsUrl },
        secrets.backendEnv('SLUICE_REDIS_PASSWORD', BACKEND_KEYS.redisPassword),
        { name: 'SLUICE_REDIS_URL', value: redis.urlWithPasswordVar('SLUICE_REDIS_PASSWORD') },
        secrets.backendEnv('SLUICE_CLICKHOUSE_PASSWORD', BACKEND_KEYS.clickhousePassword),
        { name: 'SLUICE_CLICKHOUSE_URL', value: clickhouse.urlWithPasswordVar('SLUICE_CLICKHOUSE_PASSWORD') },
        { name: 'SLUICE_QDRANT_URL', value: qdrant.url },
      ],
      credentialEnv: secrets.providerEnv(),
    },
    // Data planes start after their backends exist (they still retry, but fewer crash loops).
    { dependsOn: [redis, qdrant, clickhouse, controlPlane] },
  );

  const networkPolicies = cfg.networkPolicies
    ? new NetworkPolicies('sluice-network-policies', {
        namespaceRef: ns,
        backends: {
          [NAMES.redis]: [REDIS_PORT],
          [NAMES.qdrant]: [QDRANT_HTTP_PORT, QDRANT_GRPC_PORT],
          [NAMES.clickhouse]: [CLICKHOUSE_HTTP_PORT, CLICKHOUSE_NATIVE_PORT],
        },
      })
    : null;

  const lb = dataPlane.service.status.apply((st) => {
    const ingress = st?.loadBalancer?.ingress?.[0];
    return ingress?.hostname || ingress?.ip || null;
  });

  return {
    namespace,
    secrets,
    redis,
    qdrant,
    clickhouse,
    controlPlane,
    dataPlane,
    networkPolicies,
    outputs: {
      namespace: ns,
      controlPlaneUrl: controlPlane.httpUrl,
      controlPlaneSnapshotsUrl: controlPlane.snapshotsUrl,
      dataPlaneUrl: dataPlane.url,
      dataPlaneExternalAddress: lb,
      redisUrl: `redis://${redis.host}:${REDIS_PORT}`,
      qdrantUrl: qdrant.url,
      clickhouseUrl: clickhouse.url,
      providerCredentialEnv: Object.keys(cfg.credentials).sort(),
    },
  };
}
