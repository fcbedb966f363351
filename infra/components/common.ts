import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import type { Resources } from '../settings.js';

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Object names: fixed, so that in-cluster DNS names (and the URLs built from them) are stable. */
export const NAMES = {
  controlPlane: 'sluice-control-plane',
  dataPlane: 'sluice-data-plane',
  redis: 'sluice-redis',
  qdrant: 'sluice-qdrant',
  clickhouse: 'sluice-clickhouse',
  providerCredentials: 'sluice-provider-credentials',
  backendCredentials: 'sluice-backend-credentials',
  gitCredentials: 'sluice-git-credentials',
} as const;

/** Keys inside the backend-credentials Secret. */
export const BACKEND_KEYS = { redisPassword: 'redis-password', clickhousePassword: 'clickhouse-password' } as const;

/** Selector labels: what Services, HPAs, PDBs and NetworkPolicies match on. */
export function selectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'sluice' };
}

export function labels(name: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(name),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/managed-by': 'pulumi',
  };
}

/** The in-cluster DNS name of a Service. */
export function serviceHost(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

/** An env var whose value Kubernetes reads from a Secret: the value never appears in the pod spec. */
export function secretEnv(name: string, secretName: pulumi.Input<string>, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

export function resourceRequirements(r: Resources): k8s.types.input.core.v1.ResourceRequirements {
  return { requests: { ...r.requests }, limits: { ...r.limits } };
}

/** Container hardening for the Sluice image (runs as uid 10001, writes only to its emptyDirs). */
export const SLUICE_CONTAINER_SECURITY: k8s.types.input.core.v1.SecurityContext = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
