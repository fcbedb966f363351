import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../settings.js';
import { BACKEND_KEYS, labels, NAMES, secretEnv } from './common.js';

type EnvVar = k8s.types.input.core.v1.EnvVar;

export interface SecretsArgs {
  namespace: pulumi.Input<string>;
  credentials: StackConfig['credentials'];
  backendPasswords: StackConfig['backendPasswords'];
  gitSyncPassword: pulumi.Output<string> | null;
}

/**
 * Passwords go into URLs (redis://:pw@host) through Kubernetes' $(VAR) expansion, so they must be
 * URL-safe. The error names the rule, never the value.
 */
export function assertUrlSafeSecret(name: string, value: string): string {
  if (!/^[A-Za-z0-9._~-]{12,}$/.test(value)) {
    throw new Error(
      `stack secret ${name} must be at least 12 URL-safe characters (A-Z a-z 0-9 . _ ~ -); try: openssl rand -hex 24`,
    );
  }
  return value;
}

function urlSafe(name: string, value: pulumi.Output<string>): pulumi.Output<string> {
  return value.apply((v) => assertUrlSafeSecret(name, v));
}

/**
 * The Kubernetes Secrets of a Sluice deployment. Values come only from Pulumi secret config, so they
 * are encrypted in the stack state and never appear in a plain resource field.
 * Secrets are auto-named on purpose: a changed value replaces the Secret under a new name, which
 * changes the pod templates that reference it and so rolls the pods (env vars are read at start).
 */
export class SluiceSecrets extends pulumi.ComponentResource {
  /** Provider credentials, one key per `env:NAME` reference of the config; null when there are none. */
  readonly providerCredentials: k8s.core.v1.Secret | null;
  readonly backendCredentials: k8s.core.v1.Secret;
  readonly gitCredentials: k8s.core.v1.Secret | null;
  private readonly credentialNames: string[];

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sluice:infra:Secrets', name, {}, opts);
    const parent = { parent: this };
    this.credentialNames = Object.keys(args.credentials).sort();

    this.providerCredentials =
      this.credentialNames.length === 0
        ? null
        : new k8s.core.v1.Secret(
            NAMES.providerCredentials,
            {
              metadata: {
                namespace: args.namespace,
                labels: labels(NAMES.providerCredentials, 'credentials'),
              },
              type: 'Opaque',
              stringData: Object.fromEntries(this.credentialNames.map((n) => [n, args.credentials[n]])),
            },
            parent,
          );

    this.backendCredentials = new k8s.core.v1.Secret(
      NAMES.backendCredentials,
      {
        metadata: {
          namespace: args.namespace,
          labels: labels(NAMES.backendCredentials, 'credentials'),
        },
        type: 'Opaque',
        stringData: {
          [BACKEND_KEYS.redisPassword]: urlSafe('redisPassword', args.backendPasswords.redis),
          [BACKEND_KEYS.clickhousePassword]: urlSafe('clickhousePassword', args.backendPasswords.clickhouse),
        },
      },
      parent,
    );

    this.gitCredentials = args.gitSyncPassword
      ? new k8s.core.v1.Secret(
          NAMES.gitCredentials,
          {
            metadata: { namespace: args.namespace, labels: labels(NAMES.gitCredentials, 'credentials') },
            type: 'Opaque',
            stringData: { password: args.gitSyncPassword },
          },
          parent,
        )
      : null;

    this.registerOutputs({});
  }

  /** Data-plane env entries for the provider credentials, each read from the Secret by key. */
  providerEnv(): EnvVar[] {
    const secret = this.providerCredentials;
    if (!secret) return [];
    return this.credentialNames.map((n) => secretEnv(n, secret.metadata.name, n));
  }

  /** The env entry that exposes one backend password to a container. */
  backendEnv(envName: string, key: (typeof BACKEND_KEYS)[keyof typeof BACKEND_KEYS]): EnvVar {
    return secretEnv(envName, this.backendCredentials.metadata.name, key);
  }
}
