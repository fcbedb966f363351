/** Turning anything thrown while serving into a client-safe GatewayError. */
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';

export const internalError = (): GatewayError =>
  new GatewayError(500, 'api_error', 'internal_error', 'The gateway failed to process the request');

export const snapshotNotLoaded = (): GatewayError =>
  new GatewayError(503, 'service_unavailable', 'not_ready', 'The gateway has no configuration loaded yet', null, {
    'retry-after': '1',
  });

/** GatewayErrors pass through; anything else is logged in full and shown as a bare 500. */
export function toGatewayError(err: unknown, logger: Logger, requestId: string): GatewayError {
  if (err instanceof GatewayError) return err;
  logger.error({ err, reqId: requestId }, 'unexpected error while serving a request');
  return internalError();
}
