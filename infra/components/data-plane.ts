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

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** The replica's data folder (SQLite ledger spool, analytics spool, embedder caches): per pod, disposable. */
export const DATA_DIR = '/var/lib/sluice';

export interface DataPlaneArgs {
  namespace: string;
  namespaceRef: pulumi.Input<string>;
  image: string;
  imagePullPolicy: StackConfig['imagePullPolicy'];
  settings: StackConfig['dataPlane'];
  /** Environment wiring to the control plane and the shared backends (SLUICE_*), secrets by reference. */
  backendEnv: EnvVar[];
  /** Provider credentials, each a secretKeyRef. */
  credentialEnv: EnvVar[];
}

/**
 * The data plane: N identical replicas behind one Service. Every replica shares limits, budgets and
 * the exact cache through Redis, so scaling out never multiplies a limit by the replica count.
 */
export class DataPlane extends pulumi.ComponentResource {
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  readonly autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler | null;
  readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget | null;
  readonly url: string;

  constructor(name: string, args: DataPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sluice:infra:DataPlane', name, {}, opts);
    const parent = { parent: this };
    const s = args.settings;
    this.url = `http://${serviceHost(NAMES.dataPlane, args.namespace)}:${s.port}`;
    const selector = selectorLabels(NAMES.dataPlane);
    const meta = { name: NAMES.dataPlane, namespace: args.namespaceRef, labels: labels(NAMES.dataPlane, 'data-plane') };

    const env: EnvVar[] = [
      { name: 'SLUICE_HOST', value: '0.0.0.0' },
      { name: 'SLUICE_PORT', value: String(s.port) },
      // Each pod's name identifies it in snapshot ACKs, reservation leases and logs.
      { name: 'SLUICE_REPLICA_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'SLUICE_DATA_DIR', value: DATA_DIR },
      { name: 'SLUICE_LOG_LEVEL', value: s.logLevel },
      ...args.backendEnv,
      ...args.credentialEnv,
    ];

    this.deployment = new k8s.apps.v1.Deployment(
      NAMES.dataPlane,
      {
        metadata: meta,
        spec: {
          replicas: s.replicas,
          selector: { matchLabels: selector },
          // Add before removing: capacity never dips during a rollout.
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
          template: {
            metadata: { labels: labels(NAMES.dataPlane, 'data-plane') },
            spec: {
              terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: 'kubernetes.io/hostname',
                  whenUnsatisfiable: 'ScheduleAnyway',
                  labelSelector: { matchLabels: selector },
                },
              ],
              containers: [
                {
                  name: 'data-plane',
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  command: ['sluice', 'data-plane', '--port', String(s.port)],
                  env,
                  ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
                  // Slow first start (embedder load, first snapshot) must not trip the liveness probe.
                  startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, failureThreshold: 60 },
                  // Ready = has a snapshot and its backends: only then does the Service send traffic.
                  readinessProbe: {
                    httpGet: { path: '/readyz', port: 'http' },
                    periodSeconds: 5,
                    timeoutSeconds: 2,
                    failureThreshold: 2,
                  },
                  livenessProbe: {
                    httpGet: { path: '/healthz', port: 'http' },
                    periodSeconds: 10,
                    timeoutSeconds: 2,
                    failureThreshold: 3,
                  },
                  // Endpoints removal propagates before SIGTERM, so no new request lands on a draining pod.
                  lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
                  resources: resourceRequirements(s.resources),
                  securityContext: SLUICE_CONTAINER_SECURITY,
                  volumeMounts: [
                    { name: 'data', mountPath: DATA_DIR },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                { name: 'data', emptyDir: {} },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
        },
      },
      // With an HPA the autoscaler owns the replica count; `pulumi up` must not reset it.
      s.autoscaling.enabled ? { ...parent, ignoreChanges: ['spec.replicas'] } : parent,
    );

    this.service = new k8s.core.v1.Service(
      NAMES.dataPlane,
      {
        metadata: meta,
        spec: {
          type: s.serviceType,
          selector,
          ports: [{ name: 'http', port: s.port, targetPort: 'http', protocol: 'TCP' }],
        },
      },
      parent,
    );

    this.autoscaler = s.autoscaling.enabled
      ? new k8s.autoscaling.v2.HorizontalPodAutoscaler(
          NAMES.dataPlane,
          {
            metadata: meta,
            spec: {
              scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.metadata.name },
              minReplicas: s.autoscaling.minReplicas,
              maxReplicas: s.autoscaling.maxReplicas,
              metrics: [
                {
                  type: 'Resource',
                  resource: {
                    name: 'cpu',
                    target: { type: 'Utilization', averageUtilization: s.autoscaling.cpuTargetPercent },
                  },
                },
              ],
            },
          },
          parent,
        )
      : null;

    this.disruptionBudget =
      s.minAvailable > 0
        ? new k8s.policy.v1.PodDisruptionBudget(
            NAMES.dataPlane,
            { metadata: meta, spec: { minAvailable: s.minAvailable, selector: { matchLabels: selector } } },
            parent,
          )
        : null;

    this.registerOutputs({ url: this.url });
  }
}
