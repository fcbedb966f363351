import type { Logger } from 'pino';
import type { Pipeline } from '../pipeline/build.js';
import type { SnapshotSource } from '../pipeline/deps.js';
import type { InFlight } from './in-flight.js';

/** What the HTTP layer needs from the rest of the data plane. */
export interface ServerDeps {
  pipeline: Pipeline;
  snapshots: SnapshotSource;
  logger: Logger;
  inFlight: InFlight;
}
