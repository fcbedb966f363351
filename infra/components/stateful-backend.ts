import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import type { Resources } from '../settings.js';
import { labels, resourceRequirements, selectorLabels } from './common.js';

type Container = k8s.types.input.core.v1.Container;

export interface StatefulBackendArgs {
  namespace: pulumi.Input<string>;
  /** Object name of the StatefulSet and its Service (the in-cluster DNS name). */
  name: string;
  image: string;
  ports: { name: string; port: number }[];
  /** Where the persistent volume is mounted in the container. */
  dataPath: string;
  storage: string;
  storageClassName: string | null;
  resources: Resources;
  /** Container fields beyond name/image/ports/resources/volume (command, env, probes). */
  container: Omit<Container, 'name' | 'image' | 'ports' | 'resources' | 'volumeMounts'>;
  podSecurityContext?: k8s.types.input.core.v1.PodSecurityContext;
  terminationGracePeriodSeconds?: number;
}

export interface StatefulBackend {
  statefulSet: k8s.apps.v1.StatefulSet;
  service: k8s.core.v1.Service;
}

/**
 * One single-replica stateful backend (Redis, Qdrant, ClickHouse): a StatefulSet whose data lives
 * on a PersistentVolumeClaim (survives pod restarts and rescheduling) and a ClusterIP Service.
 */
export function statefulBackend(args: StatefulBackendArgs, parent: pulumi.Resource): StatefulBackend {
  const selector = selectorLabels(args.name);
  const meta = { name: args.name, namespace: args.namespace, labels: labels(args.name, 'backend') };

  const service = new k8s.core.v1.Service(
    args.name,
    {
      metadata: meta,
      spec: {
        type: 'ClusterIP',
        selector,
        ports: args.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: 'TCP' })),
      },
    },
    { parent },
  );

  const statefulSet = new k8s.apps.v1.StatefulSet(
    args.name,
    {
      metadata: meta,
      spec: {
        serviceName: service.metadata.name,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: labels(args.name, 'backend') },
          spec: {
            ...(args.podSecurityContext ? { securityContext: args.podSecurityContext } : {}),
            ...(args.terminationGracePeriodSeconds
              ? { terminationGracePeriodSeconds: args.terminationGracePeriodSeconds }
              : {}),
            containers: [
              {
                ...args.container,
                name: args.name.replace(/^sluice-/, ''),
                image: args.image,
                ports: args.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
                resources: resourceRequirements(args.resources),
                volumeMounts: [{ name: 'data', mountPath: args.dataPath }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: labels(args.name, 'backend') },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(args.storageClassName ? { storageClassName: args.storageClassName } : {}),
              resources: { requests: { storage: args.storage } },
            },
          },
        ],
        // Keep the volumes when the StatefulSet is deleted or scaled: spend and analytics outlive it.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      },
    },
    { parent, dependsOn: [service] },
  );

  return { statefulSet, service };
}
