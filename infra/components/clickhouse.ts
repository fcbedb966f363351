import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../settings.js';
import { BACKEND_KEYS, NAMES, serviceHost } from './common.js';
import type { SluiceSecrets } from './secrets.js';
import { statefulBackend } from './stateful-backend.js';

export const CLICKHOUSE_HTTP_PORT = 8123;
export const CLICKHOUSE_NATIVE_PORT = 9000;

export interface ClickHouseArgs {
  namespace: string;
  namespaceRef: pulumi.Input<string>;
  settings: StackConfig['clickhouse'];
  image: string;
  storageClassName: string | null;
  secrets: SluiceSecrets;
}

/** ClickHouse: the usage analytics sink every replica writes each request's cost to. */
export class ClickHouse extends pulumi.ComponentResource {
  readonly statefulSet: k8s.apps.v1.StatefulSet;
  readonly service: k8s.core.v1.Service;
  /** HTTP endpoint without credentials. */
  readonly url: string;
  readonly database: string;
  readonly user: string;

  constructor(name: string, args: ClickHouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sluice:infra:ClickHouse', name, {}, opts);
    this.url = `http://${serviceHost(NAMES.clickhouse, args.namespace)}:${CLICKHOUSE_HTTP_PORT}`;
    this.database = args.settings.database;
    this.user = args.settings.user;
    const { statefulSet, service } = statefulBackend(
      {
        namespace: args.namespaceRef,
        name: NAMES.clickhouse,
        image: args.image,
        ports: [
          { name: 'http', port: CLICKHOUSE_HTTP_PORT },
          { name: 'native', port: CLICKHOUSE_NATIVE_PORT },
        ],
        dataPath: '/var/lib/clickhouse',
        storage: args.settings.storage,
        storageClassName: args.storageClassName,
        resources: args.settings.resources,
        // Lets a shutting-down server flush its in-memory parts.
        terminationGracePeriodSeconds: 60,
        container: {
          // The image's entrypoint creates this database and user on first start.
          env: [
            { name: 'CLICKHOUSE_DB', value: args.settings.database },
            { name: 'CLICKHOUSE_USER', value: args.settings.user },
            args.secrets.backendEnv('CLICKHOUSE_PASSWORD', BACKEND_KEYS.clickhousePassword),
            { name: 'CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT', value: '1' },
          ],
          securityContext: { allowPrivilegeEscalation: false },
          readinessProbe: { httpGet: { path: '/ping', port: 'http' }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/ping', port: 'http' }, initialDelaySeconds: 30, periodSeconds: 10 },
        },
      },
      this,
    );
    this.statefulSet = statefulSet;
    this.service = service;
    this.registerOutputs({ url: this.url });
  }

  /** http://user:$(VAR)@host:8123/db — the kubelet expands the password from the Secret-backed env. */
  urlWithPasswordVar(passwordVar: string): string {
    const host = this.url.replace(/^http:\/\//, '');
    return `http://${this.user}:$(${passwordVar})@${host}/${this.database}`;
  }
}
