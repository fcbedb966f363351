import { GatewayError } from '../errors.js';
import type { BuiltStage, StageDeps } from '../pipeline/deps.js';

// PLACEHOLDER: the router/provider stage (terminal: never calls next).
export function createUpstreamStage(_deps: StageDeps): BuiltStage {
  return {
    name: 'upstream',
    run: async () => {
      throw new GatewayError(501, 'api_error', 'not_implemented', 'upstream stage not built yet');
    },
  };
}
