import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { envReferences, readConfigFolder } from './config-folder.js';
import {
  bool,
  DNS_LABEL,
  IMAGE_REF,
  int,
  type Obj,
  obj,
  oneOf,
  quantity,
  StackConfigError,
  str,
} from './config-values.js';
import { type ConfigSource, DEFAULTS, type LogLevel, type Resources, type StackConfig } from './settings.js';

export { StackConfigError } from './config-values.js';

/** Folder of this file: relative `configDir` values are resolved against it, not the shell's cwd. */
const INFRA_DIR = dirname(fileURLToPath(import.meta.url));

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `OPENAI_API_KEY` → `openaiApiKey`: the secret stack config key that holds an `env:` reference's value. */
export function credentialConfigKey(envName: string): string {
  const [first, ...rest] = envName.toLowerCase().split('_').filter(Boolean);
  return first + rest.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

function resources(v: unknown, path: string, d: Resources): Resources {
  const o = obj(v, path, ['requests', 'limits']);
  const req = obj(o.requests, `${path}.requests`, ['cpu', 'memory']);
  const lim = obj(o.limits, `${path}.limits`, ['cpu', 'memory']);
  const cpuLimit = lim.cpu === undefined ? d.limits.cpu : quantity(lim.cpu, `${path}.limits.cpu`, '');
  return {
    requests: {
      cpu: quantity(req.cpu, `${path}.requests.cpu`, d.requests.cpu),
      memory: quantity(req.memory, `${path}.requests.memory`, d.requests.memory),
    },
    limits: {
      ...(cpuLimit ? { cpu: cpuLimit } : {}),
      memory: quantity(lim.memory, `${path}.limits.memory`, d.limits.memory),
    },
  };
}

function configSource(cfg: pulumi.Config, v: unknown, configDir: string, path: string): ConfigSource {
  const o = obj(v, path, ['mode', 'repo', 'ref', 'subPath', 'period', 'username']);
  const mode = oneOf(o.mode, `${path}.mode`, 'configmap', ['configmap', 'git-sync'] as const);
  if (mode === 'configmap') return { mode, files: readConfigFolder(configDir) };
  const d = DEFAULTS.controlPlane.gitSync;
  const username = o.username === undefined ? null : str(o.username, `${path}.username`, '');
  return {
    mode,
    repo: str(o.repo, `${path}.repo`, ''),
    ref: str(o.ref, `${path}.ref`, d.ref),
    subPath: subPath(o.subPath, `${path}.subPath`, d.subPath),
    period: str(o.period, `${path}.period`, d.period, /^\d+(ms|s|m|h)$/),
    auth: username ? { username, password: cfg.requireSecret('gitSyncPassword') } : null,
  };
}

/** A folder inside the repository: relative, no "..", so it cannot escape the checkout. */
function subPath(v: unknown, path: string, fallback: string): string {
  if (v === '' || v === undefined) return fallback;
  const p = str(v, path, fallback).replace(/\/+$/, '');
  if (p.startsWith('/') || p.split('/').includes('..')) {
    throw new StackConfigError(`${path} must be a relative folder inside the repository (got '${p}')`);
  }
  return p;
}

function requireRepo(source: ConfigSource, path: string): void {
  if (source.mode === 'git-sync' && !source.repo)
    throw new StackConfigError(`${path}.repo is required in git-sync mode`);
}

/**
 * Provider credentials: one secret per `env:NAME` the config refers to, plus any listed in
 * `credentials` (needed in git-sync mode when no local checkout is scanned). Missing ones are
 * reported together, with the commands that set them.
 */
function credentials(cfg: pulumi.Config, scanned: string[], extra: unknown): Record<string, pulumi.Output<string>> {
  if (extra !== undefined && (!Array.isArray(extra) || extra.some((e) => typeof e !== 'string'))) {
    throw new StackConfigError('sluice:credentials must be a list of environment variable names');
  }
  const names = [...new Set([...scanned, ...((extra as string[] | undefined) ?? [])])].sort();
  const out: Record<string, pulumi.Output<string>> = {};
  const missing: string[] = [];
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new StackConfigError(`sluice:credentials: '${name}' is not an env name`);
    const value = cfg.getSecret(credentialConfigKey(name));
    if (value === undefined) missing.push(name);
    else out[name] = value;
  }
  if (
    missing.length > 0 &&
    !bool(cfg.getObject<unknown>('allowMissingCredentials'), 'allowMissingCredentials', false)
  ) {
    const cmds = missing.map((n) => `  pulumi config set --secret ${credentialConfigKey(n)} <value of ${n}>`);
    throw new StackConfigError(
      `the config refers to env:${missing.join(', env:')} but the stack has no secret for ${missing.length === 1 ? 'it' : 'them'}:\n${cmds.join('\n')}\n(or set sluice:allowMissingCredentials true to deploy without)`,
    );
  }
  for (const name of missing)
    pulumi.log.warn(`no secret for env:${name}; providers using it will fail at request time`);
  return out;
}

/** Reads, defaults and validates the whole stack config. Throws StackConfigError naming the key. */
export function loadStackConfig(cfg: pulumi.Config = new pulumi.Config(), baseDir: string = INFRA_DIR): StackConfig {
  const get = (key: string): unknown => cfg.getObject<unknown>(key) ?? undefined;
  const text = (key: string): string | undefined => cfg.get(key);
  const D = DEFAULTS;

  const dirSetting = text('configDir') ?? D.configDir;
  const configDir = isAbsolute(dirSetting) ? dirSetting : resolve(baseDir, dirSetting);

  const cp = obj(get('controlPlane'), 'sluice:controlPlane', ['port', 'resources', 'configSource']);
  const source = configSource(cfg, cp.configSource, configDir, 'sluice:controlPlane.configSource');
  requireRepo(source, 'sluice:controlPlane.configSource');
  const scannedFiles =
    source.mode === 'configmap' ? source.files : existsSync(configDir) ? readConfigFolder(configDir) : [];

  const dp = obj(get('dataPlane'), 'sluice:dataPlane', [
    'port',
    'replicas',
    'autoscaling',
    'minAvailable',
    'resources',
    'serviceType',
    'logLevel',
    'terminationGracePeriodSeconds',
  ]);
  const as = obj(dp.autoscaling, 'sluice:dataPlane.autoscaling', [
    'enabled',
    'minReplicas',
    'maxReplicas',
    'cpuTargetPercent',
  ]);
  const dA = D.dataPlane.autoscaling;
  const autoscaling = {
    enabled: bool(as.enabled, 'sluice:dataPlane.autoscaling.enabled', dA.enabled),
    minReplicas: int(as.minReplicas, 'sluice:dataPlane.autoscaling.minReplicas', dA.minReplicas, 1, 1000),
    maxReplicas: int(as.maxReplicas, 'sluice:dataPlane.autoscaling.maxReplicas', dA.maxReplicas, 1, 1000),
    cpuTargetPercent: int(
      as.cpuTargetPercent,
      'sluice:dataPlane.autoscaling.cpuTargetPercent',
      dA.cpuTargetPercent,
      1,
      100,
    ),
  };
  // Without an explicit replica count, start at the autoscaler's floor.
  const replicas = int(
    dp.replicas,
    'sluice:dataPlane.replicas',
    Math.max(D.dataPlane.replicas, autoscaling.minReplicas),
    1,
    1000,
  );
  if (autoscaling.enabled) {
    if (autoscaling.maxReplicas < autoscaling.minReplicas) {
      throw new StackConfigError(
        `sluice:dataPlane.autoscaling.maxReplicas (${autoscaling.maxReplicas}) must be >= minReplicas (${autoscaling.minReplicas})`,
      );
    }
    if (replicas < autoscaling.minReplicas || replicas > autoscaling.maxReplicas) {
      throw new StackConfigError(
        `sluice:dataPlane.replicas (${replicas}) must lie within autoscaling min/max (${autoscaling.minReplicas}..${autoscaling.maxReplicas})`,
      );
    }
  }
  const minAvailable = int(dp.minAvailable, 'sluice:dataPlane.minAvailable', D.dataPlane.minAvailable, 0, 1000);
  const floor = autoscaling.enabled ? autoscaling.minReplicas : replicas;
  if (minAvailable >= floor && floor > 1) {
    // A PDB that allows no eviction blocks every node drain.
    throw new StackConfigError(
      `sluice:dataPlane.minAvailable (${minAvailable}) must be below the replica floor (${floor})`,
    );
  }

  const backend = (key: 'redis' | 'qdrant' | 'clickhouse', extra: string[]): Obj =>
    obj(get(key), `sluice:${key}`, ['storage', 'resources', ...extra]);
  const redis = backend('redis', ['appendfsync']);
  const qdrant = backend('qdrant', []);
  const clickhouse = backend('clickhouse', ['database', 'user']);
  const images = obj(get('images'), 'sluice:images', ['redis', 'qdrant', 'clickhouse', 'gitSync']);

  const image = str(text('image'), 'sluice:image', D.image, /^[a-z0-9][a-z0-9._\-/:]*$/);
  const imageTag = str(text('imageTag'), 'sluice:imageTag', D.imageTag, /^[\w][\w.-]{0,127}$/);
  const storageClassName = text('storageClassName');

  return {
    namespace: str(text('namespace'), 'sluice:namespace', D.namespace, DNS_LABEL),
    sluiceImage: `${image}:${imageTag}`,
    imagePullPolicy: oneOf(text('imagePullPolicy'), 'sluice:imagePullPolicy', D.imagePullPolicy, [
      'Always',
      'IfNotPresent',
      'Never',
    ] as const),
    images: {
      redis: str(images.redis, 'sluice:images.redis', D.images.redis, IMAGE_REF),
      qdrant: str(images.qdrant, 'sluice:images.qdrant', D.images.qdrant, IMAGE_REF),
      clickhouse: str(images.clickhouse, 'sluice:images.clickhouse', D.images.clickhouse, IMAGE_REF),
      gitSync: str(images.gitSync, 'sluice:images.gitSync', D.images.gitSync, IMAGE_REF),
    },
    storageClassName: storageClassName ? str(storageClassName, 'sluice:storageClassName', '', DNS_LABEL) : null,
    networkPolicies: bool(text('networkPolicies'), 'sluice:networkPolicies', D.networkPolicies),
    controlPlane: {
      port: int(cp.port, 'sluice:controlPlane.port', D.controlPlane.port, 1, 65535),
      resources: resources(cp.resources, 'sluice:controlPlane.resources', D.controlPlane.resources),
      configSource: source,
    },
    dataPlane: {
      port: int(dp.port, 'sluice:dataPlane.port', D.dataPlane.port, 1, 65535),
      replicas,
      autoscaling,
      minAvailable,
      resources: resources(dp.resources, 'sluice:dataPlane.resources', D.dataPlane.resources),
      serviceType: oneOf(dp.serviceType, 'sluice:dataPlane.serviceType', D.dataPlane.serviceType, [
        'ClusterIP',
        'LoadBalancer',
        'NodePort',
      ] as const),
      logLevel: oneOf(dp.logLevel, 'sluice:dataPlane.logLevel', D.dataPlane.logLevel, LOG_LEVELS),
      terminationGracePeriodSeconds: int(
        dp.terminationGracePeriodSeconds,
        'sluice:dataPlane.terminationGracePeriodSeconds',
        D.dataPlane.terminationGracePeriodSeconds,
        1,
        3600,
      ),
    },
    redis: {
      storage: quantity(redis.storage, 'sluice:redis.storage', D.redis.storage),
      resources: resources(redis.resources, 'sluice:redis.resources', D.redis.resources),
      appendfsync: oneOf(redis.appendfsync, 'sluice:redis.appendfsync', D.redis.appendfsync, [
        'always',
        'everysec',
      ] as const),
    },
    qdrant: {
      storage: quantity(qdrant.storage, 'sluice:qdrant.storage', D.qdrant.storage),
      resources: resources(qdrant.resources, 'sluice:qdrant.resources', D.qdrant.resources),
    },
    clickhouse: {
      storage: quantity(clickhouse.storage, 'sluice:clickhouse.storage', D.clickhouse.storage),
      resources: resources(clickhouse.resources, 'sluice:clickhouse.resources', D.clickhouse.resources),
      database: str(
        clickhouse.database,
        'sluice:clickhouse.database',
        D.clickhouse.database,
        /^[A-Za-z_][A-Za-z0-9_]*$/,
      ),
      user: str(clickhouse.user, 'sluice:clickhouse.user', D.clickhouse.user, /^[A-Za-z_][A-Za-z0-9_]*$/),
    },
    credentials: credentials(cfg, envReferences(scannedFiles), get('credentials')),
    backendPasswords: {
      redis: cfg.requireSecret('redisPassword'),
      clickhouse: cfg.requireSecret('clickhousePassword'),
    },
  };
}
