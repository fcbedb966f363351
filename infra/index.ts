/**
 * Pulumi entry point (Pulumi.yaml `main`). Reads the stack config, builds the deployment and
 * exports the service URLs as stack outputs. The building itself is `createStack` in program.ts,
 * which the mock-based tests call directly.
 */
import { loadStackConfig } from './config.js';
import { createStack } from './program.js';

const stack = createStack(loadStackConfig());

export const namespace = stack.outputs.namespace;
export const controlPlaneUrl = stack.outputs.controlPlaneUrl;
export const controlPlaneSnapshotsUrl = stack.outputs.controlPlaneSnapshotsUrl;
export const dataPlaneUrl = stack.outputs.dataPlaneUrl;
export const dataPlaneExternalAddress = stack.outputs.dataPlaneExternalAddress;
export const redisUrl = stack.outputs.redisUrl;
export const qdrantUrl = stack.outputs.qdrantUrl;
export const clickhouseUrl = stack.outputs.clickhouseUrl;
export const providerCredentialEnv = stack.outputs.providerCredentialEnv;
