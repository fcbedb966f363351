/** The data plane's pino logger: JSON lines on stdout, one per request plus lifecycle events. */
import pino, { type Logger } from 'pino';
import type { DataPlaneConfig } from '../config.js';

export function createLogger(config: Pick<DataPlaneConfig, 'logLevel' | 'replicaId'>): Logger {
  return pino({
    level: config.logLevel,
    base: { replica: config.replicaId },
    // No `redact` paths: they cost ~3× per line on the hot path, and request lines carry no
    // headers or bodies by construction (data-plane/server/request-log.ts).
  });
}
