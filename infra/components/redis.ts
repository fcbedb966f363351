import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../settings.js';
import { BACKEND_KEYS, NAMES, serviceHost } from './common.js';
import type { SluiceSecrets } from './secrets.js';
import { statefulBackend } from './stateful-backend.js';

export const REDIS_PORT = 6379;

export interface RedisArgs {
  namespace: string;
  namespaceRef: pulumi.Input<string>;
  settings: StackConfig['redis'];
  image: string;
  storageClassName: string | null;
  secrets: SluiceSecrets;
}

/**
 * Redis for the limits, budgets, reservations and exact cache shared by all data-plane replicas.
 * Spend lives here, so: AOF on (a graceful restart loses nothing; with appendfsync=everysec a
 * node crash loses at most ~1 s of writes, with "always" nothing), data on a PVC, and
 * `noeviction`: evicting a budget counter under memory pressure would silently reset spend.
 */
export class Redis extends pulumi.ComponentResource {
  readonly statefulSet: k8s.apps.v1.StatefulSet;
  readonly service: k8s.core.v1.Service;
  /** The URL without credentials (the data plane gets the password from the Secret). */
  readonly host: string;
  readonly port = REDIS_PORT;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sluice:infra:Redis', name, {}, opts);
    this.host = serviceHost(NAMES.redis, args.namespace);
    const { statefulSet, service } = statefulBackend(
      {
        namespace: args.namespaceRef,
        name: NAMES.redis,
        image: args.image,
        ports: [{ name: 'redis', port: REDIS_PORT }],
        dataPath: '/data',
        storage: args.settings.storage,
        storageClassName: args.storageClassName,
        resources: args.settings.resources,
        // The official image's redis user; fsGroup makes the PVC writable for it.
        podSecurityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
        container: {
          command: ['redis-server'],
          // $(REDIS_PASSWORD) is expanded by Kubernetes from the env below, not stored in the spec.
          args: [
            '--appendonly',
            'yes',
            '--appendfsync',
            args.settings.appendfsync,
            '--maxmemory-policy',
            'noeviction',
            '--dir',
            '/data',
            '--requirepass',
            '$(REDIS_PASSWORD)',
          ],
          env: [args.secrets.backendEnv('REDIS_PASSWORD', BACKEND_KEYS.redisPassword)],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          // redis-cli reads REDISCLI_AUTH, which keeps the password off the probe's command line.
          readinessProbe: {
            exec: { command: ['sh', '-c', 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG'] },
            periodSeconds: 5,
            timeoutSeconds: 2,
          },
          livenessProbe: { tcpSocket: { port: 'redis' }, initialDelaySeconds: 10, periodSeconds: 10 },
        },
      },
      this,
    );
    this.statefulSet = statefulSet;
    this.service = service;
    this.registerOutputs({ host: this.host });
  }

  /** The redis:// URL for the data plane, with the password as a $(VAR) the kubelet expands. */
  urlWithPasswordVar(passwordVar: string): string {
    return `redis://:$(${passwordVar})@${this.host}:${REDIS_PORT}`;
  }
}
