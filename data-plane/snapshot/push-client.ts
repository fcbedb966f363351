/**
 * Client of the control plane's snapshot push channel (WebSocket). Protocol:
 *   → {"type":"hello","replicaId":"…","version":"v-…"|null}
 *   ← {"type":"snapshot","version":"v-…","snapshot":{…}}
 *   → {"type":"ack","version":"v-…"}  or  {"type":"nack","version":"v-…","reason":"…"}
 *   ← {"type":"ping"}  → {"type":"pong"}
 * A rejected snapshot leaves the last good one serving. When the channel drops, the replica keeps
 * serving and reconnects with jittered exponential backoff (capped at 5 s).
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { controlPlaneConnected } from '../observability/metrics.js';
import type { SnapshotStore } from './store.js';

export interface PushClientOptions {
  url: string;
  replicaId: string;
  store: SnapshotStore;
  logger: Logger;
  /** Backoff bounds (ms). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Largest accepted message (a snapshot); default 64 MiB. */
  maxPayloadBytes?: number;
}

export interface PushClient {
  /** Resolves once the first snapshot from the control plane was applied (or rejected). */
  firstSnapshot(): Promise<void>;
  readonly connected: boolean;
  close(): Promise<void>;
}

export function startPushClient(opts: PushClientOptions): PushClient {
  const { url, replicaId, store, logger } = opts;
  const minDelay = opts.minDelayMs ?? 100;
  const maxDelay = opts.maxDelayMs ?? 5_000;
  let socket: WebSocket | null = null;
  let closed = false;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let resolveFirst: () => void = () => {};
  const first = new Promise<void>((r) => {
    resolveFirst = r;
  });

  const send = (ws: WebSocket, msg: unknown) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  };

  const onMessage = (ws: WebSocket, data: WebSocket.RawData) => {
    let msg: { type?: unknown; version?: unknown; snapshot?: unknown };
    try {
      msg = JSON.parse(data.toString());
    } catch {
      logger.warn({ url }, 'control plane sent a non-JSON message; ignored');
      return;
    }
    if (msg.type === 'ping') return send(ws, { type: 'pong' });
    if (msg.type !== 'snapshot') return;
    const announced = typeof msg.version === 'string' ? msg.version : null;
    const result = store.offer(msg.snapshot);
    const version = announced ?? result.version;
    if (result.ok && announced !== null && announced !== result.version) {
      // Cannot happen with a sane control plane; ack what was actually applied.
      logger.warn({ announced, applied: result.version }, 'snapshot version differs from the announced one');
    }
    if (result.ok) {
      send(ws, { type: 'ack', version: result.version });
      logger.info({ version: result.version, changed: result.changed }, 'snapshot applied');
    } else {
      send(ws, { type: 'nack', version, reason: result.reason });
      logger.error(
        { version, reason: result.reason, serving: store.current()?.version ?? null },
        'snapshot rejected; keeping the last good one',
      );
    }
    resolveFirst();
  };

  const connect = () => {
    if (closed) return;
    const ws = new WebSocket(url, { maxPayload: opts.maxPayloadBytes ?? 64 * 1024 * 1024, handshakeTimeout: 5_000 });
    socket = ws;
    ws.on('open', () => {
      failures = 0;
      controlPlaneConnected.set(1);
      logger.info({ url }, 'connected to the control plane');
      send(ws, { type: 'hello', replicaId, version: store.current()?.version ?? null });
    });
    ws.on('message', (data) => onMessage(ws, data));
    ws.on('error', (err) => {
      logger.debug({ err: err.message, url }, 'control plane connection error');
    });
    ws.on('close', () => {
      controlPlaneConnected.set(0);
      if (socket === ws) socket = null;
      if (closed) return;
      failures++;
      // Jittered (half fixed, half random) so a fleet does not reconnect in lockstep after a restart.
      const cap = Math.min(maxDelay, minDelay * 2 ** Math.min(failures - 1, 16));
      const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
      logger.warn({ url, retryInMs: delay, serving: store.current()?.version ?? null }, 'control plane disconnected');
      timer = setTimeout(connect, delay);
    });
  };
  connect();

  return {
    firstSnapshot: () => first,
    get connected() {
      return socket?.readyState === WebSocket.OPEN;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const ws = socket;
      socket = null;
      controlPlaneConnected.set(0);
      if (!ws || ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        else ws.close(1001, 'data plane shutting down');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1_000).unref();
      });
    },
  };
}
