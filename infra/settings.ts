import type * as pulumi from '@pulumi/pulumi';
import type { ConfigFile } from './config-folder.js';

/** Kubernetes compute resources of one container; quantities are Kubernetes strings ("500m", "1Gi"). */
export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu?: string; memory: string };
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where the control plane gets the config repository from. */
export type ConfigSource =
  | {
      mode: 'configmap';
      /** Files read from the local config folder at `pulumi up` time. */
      files: ConfigFile[];
    }
  | {
      mode: 'git-sync';
      /** Git URL of the config repository (https or ssh). */
      repo: string;
      /** Branch, tag or commit to follow. */
      ref: string;
      /** Folder inside the repository holding the YAML ("" = repository root). */
      subPath: string;
      /** How often git-sync polls, a Go duration ("30s"). */
      period: string;
      /** HTTPS basic auth for private repositories; the password is a Pulumi secret. */
      auth: { username: string; password: pulumi.Output<string> } | null;
    };

export interface AutoscalingSettings {
  enabled: boolean;
  minReplicas: number;
  maxReplicas: number;
  /** Average CPU utilization across data-plane pods, in percent of the CPU request. */
  cpuTargetPercent: number;
}

/** Everything the program needs, already defaulted and validated (see config.ts). */
export interface StackConfig {
  namespace: string;
  /** The one Sluice image (both halves run from it), "repository:tag". */
  sluiceImage: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  images: { redis: string; qdrant: string; clickhouse: string; gitSync: string };
  /** null = the cluster's default StorageClass. */
  storageClassName: string | null;
  /** Restrict backend ingress to data-plane pods (needs a NetworkPolicy-enforcing CNI). */
  networkPolicies: boolean;
  controlPlane: {
    port: number;
    resources: Resources;
    configSource: ConfigSource;
  };
  dataPlane: {
    port: number;
    /** Initial replicas; the HPA owns the count afterwards when autoscaling is enabled. */
    replicas: number;
    autoscaling: AutoscalingSettings;
    /** Pods that must stay up during voluntary disruptions (node drains). */
    minAvailable: number;
    resources: Resources;
    serviceType: 'ClusterIP' | 'LoadBalancer' | 'NodePort';
    logLevel: LogLevel;
    /** Time a replica gets on SIGTERM to finish in-flight streams before it is killed. */
    terminationGracePeriodSeconds: number;
  };
  redis: { storage: string; resources: Resources; appendfsync: 'always' | 'everysec' };
  qdrant: { storage: string; resources: Resources };
  clickhouse: { storage: string; resources: Resources; database: string; user: string };
  /** Env var name (as referenced by `env:NAME` in the config) → secret value. */
  credentials: Record<string, pulumi.Output<string>>;
  /** Passwords of the shared backends (Pulumi secrets). */
  backendPasswords: { redis: pulumi.Output<string>; clickhouse: pulumi.Output<string> };
}

/** Labels that every Sluice object carries; selectors use the component label on top. */
export const PART_OF = 'sluice';

export const DEFAULTS = {
  namespace: 'sluice',
  image: 'ghcr.io/sluice-gateway/sluice',
  imageTag: '0.1.0',
  imagePullPolicy: 'IfNotPresent',
  images: {
    redis: 'redis:7.4.1-alpine',
    qdrant: 'qdrant/qdrant:v1.12.4',
    clickhouse: 'clickhouse/clickhouse-server:24.8',
    gitSync: 'registry.k8s.io/git-sync/git-sync:v4.3.0',
  },
  configDir: '../examples/config',
  networkPolicies: true,
  controlPlane: {
    port: 7070,
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    gitSync: { ref: 'main', subPath: '', period: '30s' },
  },
  dataPlane: {
    port: 8080,
    replicas: 2,
    autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 10, cpuTargetPercent: 70 },
    minAvailable: 1,
    resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } },
    serviceType: 'ClusterIP',
    logLevel: 'info',
    terminationGracePeriodSeconds: 60,
  },
  redis: {
    storage: '5Gi',
    appendfsync: 'everysec',
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  },
  qdrant: {
    storage: '10Gi',
    resources: { requests: { cpu: '200m', memory: '512Mi' }, limits: { memory: '2Gi' } },
  },
  clickhouse: {
    storage: '20Gi',
    database: 'sluice',
    user: 'sluice',
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi' } },
  },
} as const;
