/**
 * Pulumi's official unit-test mocks (`pulumi.runtime.setMocks`), plus a recorder of every
 * resource's inputs. No Pulumi CLI and no cluster: the program runs against the mock monitor.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';

export const INFRA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURE_CONFIG_DIR = join(INFRA_DIR, 'test', 'fixtures', 'config');
export const PROJECT = 'sluice';

/** The wrapper Pulumi's RPC layer puts around a secret value (see @pulumi/pulumi runtime/rpc). */
export const SIG_KEY = '4dabf18193072939515e22adb298388d';
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

export type Inputs = Record<string, unknown>;

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Inputs;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Removes Pulumi's secret wrappers (for reading wiring; secrecy is checked separately). */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (isObject(v)) {
    if (v[SIG_KEY] === SECRET_SIG) return unwrapSecrets(v.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/**
 * Stack config for a test: keys without the project prefix, objects as values (they are
 * JSON-encoded like `pulumi config set --path` does); `secrets` are marked secret.
 */
export function setStackConfig(plain: Record<string, unknown>, secrets: Record<string, string> = {}): void {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...plain, ...secrets })) {
    all[`${PROJECT}:${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  pulumi.runtime.setAllConfig(
    all,
    Object.keys(secrets).map((k) => `${PROJECT}:${k}`),
  );
}

/**
 * Installs the mocks and returns the live list of recorded resources. The mock emulates the
 * Kubernetes provider's auto-naming (a name suffix when metadata.name is unset), because the
 * program relies on it for ConfigMaps and Secrets.
 */
export async function installMocks(): Promise<RecordedResource[]> {
  const recorded: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const inputs = args.inputs as Inputs;
        recorded.push({ type: args.type, name: args.name, inputs });
        const state: Inputs = { ...inputs };
        if (args.type.startsWith('kubernetes:') && isObject(inputs.metadata) && !inputs.metadata.name) {
          const suffix = createHash('sha256').update(args.name).digest('hex').slice(0, 8);
          state.metadata = { ...inputs.metadata, name: `${args.name}-${suffix}` };
        }
        return { id: `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return args.inputs as Record<string, unknown>;
      },
    },
    PROJECT,
    'test',
    false,
  );
  return recorded;
}

/** Resolves an Output (mocks never leave values unknown, so apply always runs). */
export function resolveOutput<T>(o: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => {
    pulumi.output(o).apply((v) => {
      resolve(v);
      return v;
    });
  });
}

/** Every resource reachable from a value: component fields are followed, custom resources are leaves. */
export function collectResources(root: unknown, out = new Set<pulumi.Resource>()): Set<pulumi.Resource> {
  if (pulumi.Resource.isInstance(root)) {
    if (out.has(root)) return out;
    out.add(root);
    if (!pulumi.ComponentResource.isInstance(root)) return out;
    for (const v of Object.values(root)) collectResources(v, out);
  } else if (Array.isArray(root)) {
    for (const v of root) collectResources(v, out);
  } else if (isObject(root) && !pulumi.Output.isInstance(root)) {
    for (const v of Object.values(root)) collectResources(v, out);
  }
  return out;
}

/** Waits until every resource reachable from `root` is registered with the mock monitor. */
export async function settle(root: unknown): Promise<number> {
  const resources = [...collectResources(root)];
  await Promise.all(resources.map((r) => resolveOutput(r.urn)));
  return resources.filter((r) => pulumi.CustomResource.isInstance(r)).length;
}

/** Finds one recorded resource by Pulumi type token and logical name; fails loudly if absent. */
export function find(recorded: RecordedResource[], type: string, name: string): RecordedResource {
  const hits = recorded.filter((r) => r.type === type && r.name === name);
  if (hits.length !== 1) {
    const seen = recorded.map((r) => `${r.type} ${r.name}`).join('\n  ');
    throw new Error(`expected exactly one ${type} '${name}', found ${hits.length}; recorded:\n  ${seen}`);
  }
  return hits[0];
}

/** Typed path access into unwrapped inputs, e.g. at(inputs, 'spec.template.spec.containers'). */
export function at(v: unknown, path: string): unknown {
  let cur: unknown = unwrapSecrets(v);
  for (const part of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

export const TYPES = {
  namespace: 'kubernetes:core/v1:Namespace',
  deployment: 'kubernetes:apps/v1:Deployment',
  statefulSet: 'kubernetes:apps/v1:StatefulSet',
  service: 'kubernetes:core/v1:Service',
  configMap: 'kubernetes:core/v1:ConfigMap',
  secret: 'kubernetes:core/v1:Secret',
  hpa: 'kubernetes:autoscaling/v2:HorizontalPodAutoscaler',
  pdb: 'kubernetes:policy/v1:PodDisruptionBudget',
  networkPolicy: 'kubernetes:networking.k8s.io/v1:NetworkPolicy',
} as const;
