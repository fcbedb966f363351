import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../settings.js';
import { NAMES, serviceHost } from './common.js';
import { statefulBackend } from './stateful-backend.js';

export const QDRANT_HTTP_PORT = 6333;
export const QDRANT_GRPC_PORT = 6334;

export interface QdrantArgs {
  namespace: string;
  namespaceRef: pulumi.Input<string>;
  settings: StackConfig['qdrant'];
  image: string;
  storageClassName: string | null;
}

/** Qdrant: the semantic cache's vector index, on a PVC so the cache survives restarts. */
export class Qdrant extends pulumi.ComponentResource {
  readonly statefulSet: k8s.apps.v1.StatefulSet;
  readonly service: k8s.core.v1.Service;
  readonly url: string;

  constructor(name: string, args: QdrantArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sluice:infra:Qdrant', name, {}, opts);
    this.url = `http://${serviceHost(NAMES.qdrant, args.namespace)}:${QDRANT_HTTP_PORT}`;
    const { statefulSet, service } = statefulBackend(
      {
        namespace: args.namespaceRef,
        name: NAMES.qdrant,
        image: args.image,
        ports: [
          { name: 'http', port: QDRANT_HTTP_PORT },
          { name: 'grpc', port: QDRANT_GRPC_PORT },
        ],
        dataPath: '/qdrant/storage',
        storage: args.settings.storage,
        storageClassName: args.storageClassName,
        resources: args.settings.resources,
        container: {
          env: [{ name: 'QDRANT__TELEMETRY_DISABLED', value: 'true' }],
          securityContext: { allowPrivilegeEscalation: false },
          readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/livez', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10 },
        },
      },
      this,
    );
    this.statefulSet = statefulSet;
    this.service = service;
    this.registerOutputs({ url: this.url });
  }
}
