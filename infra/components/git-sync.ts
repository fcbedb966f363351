import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import type { ConfigSource } from '../settings.js';
import { secretEnv } from './common.js';

type Container = k8s.types.input.core.v1.Container;
type GitSource = Extract<ConfigSource, { mode: 'git-sync' }>;

/** Where git-sync keeps its checkouts; `current` is the symlink it swaps atomically on each sync. */
export const GIT_ROOT = '/git';
export const GIT_LINK = 'current';
/** The git-sync image's user and group (it must own the shared emptyDir). */
export const GIT_SYNC_GID = 65533;

/** The folder the control plane reads: the synced checkout, plus the repository sub-folder. */
export function gitConfigPath(source: GitSource): string {
  return [GIT_ROOT, GIT_LINK, source.subPath].filter(Boolean).join('/');
}

/**
 * git-sync containers: an init container that clones once (so the control plane starts with a
 * config), and a sidecar that keeps pulling `ref` every `period`.
 */
export function gitSyncContainers(
  source: GitSource,
  image: string,
  credentialsSecret: pulumi.Input<string> | null,
): { init: Container; sidecar: Container } {
  const env: k8s.types.input.core.v1.EnvVar[] = [
    { name: 'GITSYNC_REPO', value: source.repo },
    { name: 'GITSYNC_REF', value: source.ref },
    { name: 'GITSYNC_ROOT', value: GIT_ROOT },
    { name: 'GITSYNC_LINK', value: GIT_LINK },
    { name: 'GITSYNC_DEPTH', value: '1' },
    { name: 'GITSYNC_PERIOD', value: source.period },
  ];
  if (source.auth && credentialsSecret) {
    env.push({ name: 'GITSYNC_USERNAME', value: source.auth.username });
    env.push(secretEnv('GITSYNC_PASSWORD', credentialsSecret, 'password'));
  }
  const base: Container = {
    name: 'git-sync',
    image,
    env,
    volumeMounts: [{ name: 'git', mountPath: GIT_ROOT }],
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: GIT_SYNC_GID,
      runAsGroup: GIT_SYNC_GID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
  };
  return {
    init: { ...base, name: 'git-sync-init', env: [...env, { name: 'GITSYNC_ONE_TIME', value: 'true' }] },
    sidecar: base,
  };
}
