/** Public types of the control-plane server (others mount routes through HttpRoute). */
import type pino from 'pino';
import type { Snapshot } from '../../common/snapshot.js';

export interface HttpRequestInfo {
  query: URLSearchParams;
  /** Lowercase header names. */
  headers: Record<string, string>;
  body: string;
}

export interface HttpResult {
  status: number;
  body: string | Buffer;
  contentType: string;
}

export interface HttpRoute {
  method: 'GET' | 'POST';
  /** Exact path, e.g. "/dashboard". */
  path: string;
  handler(req: HttpRequestInfo): Promise<HttpResult>;
}

export interface DataPlaneStatus {
  replicaId: string;
  connected: boolean;
  /** Version the data plane last acknowledged (or reported in its hello), null if none yet. */
  ackedVersion: string | null;
  /** Version last pushed to it. */
  sentVersion: string | null;
  /** Last rejection, cleared by a later ACK. */
  nack: { version: string; reason: string; at: number } | null;
  connectedAt: number;
  /** Epoch ms of the last message (hello, ack, nack, pong). */
  lastSeen: number;
  remoteAddress: string;
}

export interface StartOptions {
  configDir: string;
  host?: string;
  /** 0 = ephemeral. */
  port: number;
  /** Quiet time after the last file event before recompiling. Default 200 ms. */
  debounceMs?: number;
  extraRoutes?: HttpRoute[];
  logger?: pino.Logger;
  /** Interval of protocol {"type":"ping"} messages. Default 15 s. */
  pingIntervalMs?: number;
}

export interface ControlPlaneHandle {
  port: number;
  /** http://host:port */
  url: string;
  /** ws://host:port/v1/snapshots */
  wsUrl: string;
  current(): Snapshot | null;
  status(): DataPlaneStatus[];
  close(): Promise<void>;
}
