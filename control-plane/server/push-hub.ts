/**
 * The snapshot push channel (WebSocket /v1/snapshots). Protocol, all JSON text frames:
 *   client → {"type":"hello","replicaId":"dp-1","version":<version it has or null>}
 *   server → {"type":"snapshot","version":"v-…","snapshot":{…}}  on hello (if it differs) and after every good compile
 *   client → {"type":"ack","version":"v-…"} | {"type":"nack","version":"v-…","reason":"…"}
 *   server → {"type":"ping"}   client → {"type":"pong"}
 * Tracks, per replica, which version it acknowledged, for /v1/status and `sluice status`.
 */

import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type pino from 'pino';
import type { Snapshot } from '../../common/snapshot.js';
import { serializeSnapshot } from '../compile/build-snapshot.js';
import type { DataPlaneStatus } from './types.js';

interface Conn {
  replicaId: string | null;
  remoteAddress: string;
  helloTimer: NodeJS.Timeout | null;
}

const HELLO_TIMEOUT_MS = 10_000;
const MAX_INBOUND_BYTES = 64 * 1024;

export class PushHub {
  private readonly sockets = new Set<WebSocket<Conn>>();
  private readonly replicas = new Map<string, DataPlaneStatus>();
  private readonly socketOf = new Map<string, WebSocket<Conn>>();
  private message: { version: string; text: string } | null = null;
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: pino.Logger,
    private readonly current: () => Snapshot | null,
    pingIntervalMs: number,
  ) {
    this.pingTimer = setInterval(() => this.pingAll(), pingIntervalMs);
    this.pingTimer.unref();
  }

  mount(app: TemplatedApp, path: string): void {
    app.ws<Conn>(path, {
      maxPayloadLength: MAX_INBOUND_BYTES,
      // A 10k-key snapshot is a few MB; never drop one for backpressure.
      maxBackpressure: 256 * 1024 * 1024,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        res.upgrade<Conn>(
          { replicaId: null, remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(), helloTimer: null },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        this.sockets.add(ws);
        const conn = ws.getUserData();
        conn.helloTimer = setTimeout(() => {
          if (conn.replicaId === null) ws.end(4000, 'expected hello');
        }, HELLO_TIMEOUT_MS);
      },
      message: (ws, data, isBinary) => this.onMessage(ws, data, isBinary),
      close: (ws) => this.onClose(ws),
    });
  }

  /** Sends `snapshot` to every data plane that said hello. Returns how many it was sent to. */
  broadcast(snapshot: Snapshot): number {
    let n = 0;
    for (const ws of this.sockets) {
      const id = ws.getUserData().replicaId;
      if (id !== null) {
        this.sendSnapshot(ws, id, snapshot);
        n++;
      }
    }
    return n;
  }

  status(): DataPlaneStatus[] {
    return [...this.replicas.values()]
      .map((s) => ({ ...s, nack: s.nack ? { ...s.nack } : null }))
      .sort((a, b) => a.replicaId.localeCompare(b.replicaId));
  }

  close(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const ws of [...this.sockets]) {
      try {
        ws.end(1001, 'control plane shutting down');
      } catch {
        // already closed
      }
    }
  }

  private encoded(snapshot: Snapshot): string {
    if (this.message?.version !== snapshot.version) {
      const text = `{"type":"snapshot","version":${JSON.stringify(snapshot.version)},"snapshot":${serializeSnapshot(snapshot)}}`;
      this.message = { version: snapshot.version, text };
    }
    return this.message.text;
  }

  private sendSnapshot(ws: WebSocket<Conn>, replicaId: string, snapshot: Snapshot): void {
    ws.send(this.encoded(snapshot), false, false);
    const s = this.replicas.get(replicaId);
    if (s) s.sentVersion = snapshot.version;
    this.log.info({ replicaId, version: snapshot.version }, 'snapshot pushed');
  }

  private onMessage(ws: WebSocket<Conn>, data: ArrayBuffer, isBinary: boolean): void {
    const conn = ws.getUserData();
    let msg: Record<string, unknown>;
    try {
      if (isBinary) throw new Error('binary frame');
      msg = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
      if (msg === null || typeof msg !== 'object') throw new Error('not an object');
    } catch (err) {
      this.log.warn({ replicaId: conn.replicaId, err: (err as Error).message }, 'invalid push-channel message ignored');
      return;
    }
    if (msg.type === 'hello') {
      this.onHello(ws, conn, msg);
      return;
    }
    const s = conn.replicaId === null ? undefined : this.replicas.get(conn.replicaId);
    if (!s) {
      this.log.warn({ type: msg.type }, 'message before hello ignored');
      return;
    }
    s.lastSeen = Date.now();
    const version = typeof msg.version === 'string' ? msg.version : null;
    if (msg.type === 'ack' && version) {
      s.ackedVersion = version;
      s.nack = null;
      this.log.info({ replicaId: s.replicaId, version }, 'snapshot acknowledged');
    } else if (msg.type === 'nack' && version) {
      const reason = typeof msg.reason === 'string' ? msg.reason.slice(0, 2000) : 'no reason given';
      s.nack = { version, reason, at: Date.now() };
      this.log.warn({ replicaId: s.replicaId, version, reason }, 'snapshot rejected by data plane');
    } else if (msg.type !== 'pong') {
      this.log.warn({ replicaId: s.replicaId, type: msg.type }, 'unknown push-channel message ignored');
    }
  }

  private onHello(ws: WebSocket<Conn>, conn: Conn, msg: Record<string, unknown>): void {
    const replicaId =
      typeof msg.replicaId === 'string' && msg.replicaId.length > 0 ? msg.replicaId.slice(0, 200) : null;
    if (replicaId === null || conn.replicaId !== null) {
      ws.end(4001, replicaId === null ? 'hello needs a replicaId' : 'duplicate hello');
      return;
    }
    if (conn.helloTimer) clearTimeout(conn.helloTimer);
    // A reconnecting replica replaces its stale connection.
    const previous = this.socketOf.get(replicaId);
    if (previous && previous !== ws) {
      previous.getUserData().replicaId = null;
      this.sockets.delete(previous);
      previous.end(4002, 'replaced by a newer connection');
    }
    conn.replicaId = replicaId;
    this.socketOf.set(replicaId, ws);
    const has = typeof msg.version === 'string' ? msg.version : null;
    const now = Date.now();
    const prev = this.replicas.get(replicaId);
    this.replicas.set(replicaId, {
      replicaId,
      connected: true,
      // What the replica runs is what it applied before: its hello version.
      ackedVersion: has ?? prev?.ackedVersion ?? null,
      sentVersion: prev?.sentVersion ?? null,
      nack: prev?.nack ?? null,
      connectedAt: now,
      lastSeen: now,
      remoteAddress: conn.remoteAddress,
    });
    this.log.info({ replicaId, has }, 'data plane connected');
    const snapshot = this.current();
    if (snapshot && snapshot.version !== has) this.sendSnapshot(ws, replicaId, snapshot);
  }

  private onClose(ws: WebSocket<Conn>): void {
    this.sockets.delete(ws);
    const conn = ws.getUserData();
    if (conn.helloTimer) clearTimeout(conn.helloTimer);
    if (conn.replicaId === null) return;
    if (this.socketOf.get(conn.replicaId) === ws) this.socketOf.delete(conn.replicaId);
    const s = this.replicas.get(conn.replicaId);
    if (s) s.connected = false;
    this.log.info({ replicaId: conn.replicaId }, 'data plane disconnected');
  }

  private pingAll(): void {
    for (const ws of this.sockets) if (ws.getUserData().replicaId !== null) ws.send('{"type":"ping"}', false, false);
  }
}
