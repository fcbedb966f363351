/** The data plane's pino logger: JSON lines on stdout, one per request plus lifecycle events. */
import pino, { type Logger } from 'pino';
import type { DataPlaneConfig } from '../config.js';

export function createLogger(config: Pick<DataPlaneConfig, 'logLevel' | 'replicaId'>): Logger {
  return pino({
    level: config.logLevel,
    base: { replica: config.replicaId },
    // Belt and braces: secrets never reach a log line even if an error object carries headers.
    redact: { paths: ['*.authorization', '*.headers.authorization', '*["x-api-key"]'], censor: '[redacted]' },
  });
}
