import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { labels, NAMES, selectorLabels } from './common.js';

export interface NetworkPoliciesArgs {
  namespaceRef: pulumi.Input<string>;
  /** Backend object name → the ports data planes use on it. */
  backends: Record<string, number[]>;
}

/**
 * Backends accept connections only from data-plane pods. Qdrant runs without an API key here
 * (the data plane has no setting for one), so the network is its access control; for Redis and
 * ClickHouse it is a second fence behind their passwords. Needs a CNI that enforces NetworkPolicy.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
  readonly policies: k8s.networking.v1.NetworkPolicy[];

  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sluice:infra:NetworkPolicies', name, {}, opts);
    this.policies = Object.entries(args.backends).map(
      ([backend, ports]) =>
        new k8s.networking.v1.NetworkPolicy(
          `${backend}-ingress`,
          {
            metadata: {
              name: `${backend}-ingress`,
              namespace: args.namespaceRef,
              labels: labels(backend, 'network-policy'),
            },
            spec: {
              podSelector: { matchLabels: selectorLabels(backend) },
              policyTypes: ['Ingress'],
              ingress: [
                {
                  from: [{ podSelector: { matchLabels: selectorLabels(NAMES.dataPlane) } }],
                  ports: ports.map((port) => ({ port, protocol: 'TCP' })),
                },
              ],
            },
          },
          { parent: this },
        ),
    );
    this.registerOutputs({});
  }
}
