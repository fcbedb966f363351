import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../settings.js';
import {
  labels,
  NAMES,
  resourceRequirements,
  SLUICE_CONTAINER_SECURITY,
  selectorLabels,
  serviceHost,
} from './common.js';
import { GIT_ROOT, GIT_SYNC_GID, gitConfigPath, gitSyncContainers } from './git-sync.js';
import type { SluiceSecrets } from './secrets.js';

type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** Where the ConfigMap-mode config folder is mounted. */
export const CONFIG_MOUNT = '/config';
/** The WebSocket path data planes subscribe to. */
export const SNAPSHOTS_PATH = '/v1/snapshots';

/** Exits 0 when the control plane on `port` serves a snapshot (GET /healthz → {"version": "v-…"}). */
export function readyScript(port: number): string {
  return `fetch('http://127.0.0.1:${port}/healthz').then((r) => r.json()).then((b) => process.exit(b.version ? 0 : 1), () => process.exit(1))`;
}

export interface ControlPlaneArgs {
  namespace: string;
  namespaceRef: pulumi.Input<string>;
  image: string;
  imagePullPolicy: StackConfig['imagePullPolicy'];
  gitSyncImage: string;
  settings: StackConfig['controlPlane'];
  secrets: SluiceSecrets;
}

/**
 * The control plane: compiles the config repository into snapshots and pushes them to data planes.
 * In ConfigMap mode the config is baked into an immutable, auto-named ConfigMap, so a config change
 * is a new ConfigMap and a rolling update (the old pod keeps serving until the new one is ready);
 * in git-sync mode a sidecar pulls the repository and the control plane's watcher recompiles.
 */
export class ControlPlane extends pulumi.ComponentResource {
  readonly configMap: k8s.core.v1.ConfigMap | null;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  /** ws:// URL data planes connect to. */
  readonly snapshotsUrl: string;
  /** http:// base URL (status endpoint, `sluice apply --control-plane`). */
  readonly httpUrl: string;

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sluice:infra:ControlPlane', name, {}, opts);
    const parent = { parent: this };
    const s = args.settings;
    const host = serviceHost(NAMES.controlPlane, args.namespace);
    this.snapshotsUrl = `ws://${host}:${s.port}${SNAPSHOTS_PATH}`;
    this.httpUrl = `http://${host}:${s.port}`;

    const volumes: Volume[] = [{ name: 'tmp', emptyDir: {} }];
    const mounts: VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
    const initContainers: k8s.types.input.core.v1.Container[] = [];
    const sidecars: k8s.types.input.core.v1.Container[] = [];
    let configPath: string;
    const source = s.configSource;

    if (source.mode === 'configmap') {
      this.configMap = new k8s.core.v1.ConfigMap(
        'sluice-config',
        {
          metadata: { namespace: args.namespaceRef, labels: labels(NAMES.controlPlane, 'config') },
          immutable: true,
          data: Object.fromEntries(source.files.map((f) => [f.key, f.content])),
        },
        parent,
      );
      volumes.push({
        name: 'config',
        configMap: {
          name: this.configMap.metadata.name,
          // Restores the folder layout: ConfigMap keys are flat, the config repo may nest.
          items: source.files.map((f) => ({ key: f.key, path: f.path })),
        },
      });
      mounts.push({ name: 'config', mountPath: CONFIG_MOUNT, readOnly: true });
      configPath = CONFIG_MOUNT;
    } else {
      this.configMap = null;
      const git = gitSyncContainers(source, args.gitSyncImage, args.secrets.gitCredentials?.metadata.name ?? null);
      initContainers.push(git.init);
      sidecars.push(git.sidecar);
      volumes.push({ name: 'git', emptyDir: {} });
      mounts.push({ name: 'git', mountPath: GIT_ROOT, readOnly: true });
      configPath = gitConfigPath(source);
    }

    const selector = selectorLabels(NAMES.controlPlane);
    const meta = {
      name: NAMES.controlPlane,
      namespace: args.namespaceRef,
      labels: labels(NAMES.controlPlane, 'control-plane'),
    };

    this.deployment = new k8s.apps.v1.Deployment(
      NAMES.controlPlane,
      {
        metadata: meta,
        spec: {
          replicas: 1,
          selector: { matchLabels: selector },
          // Never zero control planes: a new pod becomes ready only with a good snapshot (see probe).
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels: labels(NAMES.controlPlane, 'control-plane') },
            spec: {
              securityContext: source.mode === 'git-sync' ? { fsGroup: GIT_SYNC_GID } : {},
              initContainers,
              containers: [
                {
                  name: 'control-plane',
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  // --host: listen on all interfaces, the Service reaches the pod by its IP.
                  command: [
                    'sluice',
                    'control-plane',
                    '--config',
                    configPath,
                    '--port',
                    String(s.port),
                    '--host',
                    '0.0.0.0',
                  ],
                  ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
                  // Ready only with a compiled snapshot (/healthz reports version null until then), so
                  // a rollout whose config does not compile stalls and the old pod keeps serving.
                  readinessProbe: {
                    exec: { command: ['node', '-e', readyScript(s.port)] },
                    periodSeconds: 10,
                    timeoutSeconds: 5,
                  },
                  livenessProbe: {
                    httpGet: { path: '/healthz', port: 'http' },
                    initialDelaySeconds: 15,
                    periodSeconds: 10,
                  },
                  resources: resourceRequirements(s.resources),
                  securityContext: SLUICE_CONTAINER_SECURITY,
                  volumeMounts: mounts,
                },
                ...sidecars,
              ],
              volumes,
            },
          },
        },
      },
      parent,
    );

    this.service = new k8s.core.v1.Service(
      NAMES.controlPlane,
      {
        metadata: meta,
        spec: {
          type: 'ClusterIP',
          selector,
          ports: [{ name: 'http', port: s.port, targetPort: 'http', protocol: 'TCP' }],
        },
      },
      parent,
    );

    this.registerOutputs({ snapshotsUrl: this.snapshotsUrl, httpUrl: this.httpUrl });
  }
}
