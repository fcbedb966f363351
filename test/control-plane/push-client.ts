/**
 * Test implementation of the data-plane side of the push protocol (ws package): says hello,
 * records every snapshot, answers ACK (or NACK when `decide` says so) and pongs pings.
 */
import WebSocket from 'ws';
import type { Snapshot } from '../../common/snapshot.js';

export interface ReceivedSnapshot {
  version: string;
  snapshot: Snapshot;
}

export interface PushClientOptions {
  replicaId: string;
  /** Version the client claims to already have. */
  version?: string | null;
  /** Return a string to NACK with that reason; undefined to ACK. */
  decide?: (snapshot: Snapshot) => string | undefined;
}

export class PushClient {
  readonly received: ReceivedSnapshot[] = [];
  readonly pings: number[] = [];
  /** Version of the last snapshot this client ACKed. */
  applied: string | null;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: PushClientOptions,
  ) {
    this.applied = opts.version ?? null;
    ws.on('message', (data) => this.onMessage(data.toString()));
  }

  static async connect(url: string, opts: PushClientOptions): Promise<PushClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const client = new PushClient(ws, opts);
    ws.send(JSON.stringify({ type: 'hello', replicaId: opts.replicaId, version: opts.version ?? null }));
    return client;
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text) as { type: string; version?: string; snapshot?: Snapshot };
    if (msg.type === 'ping') {
      this.pings.push(Date.now());
      this.ws.send(JSON.stringify({ type: 'pong' }));
    } else if (msg.type === 'snapshot' && msg.version && msg.snapshot) {
      this.received.push({ version: msg.version, snapshot: msg.snapshot });
      const reason = this.opts.decide?.(msg.snapshot);
      if (reason === undefined) {
        this.applied = msg.version;
        this.ws.send(JSON.stringify({ type: 'ack', version: msg.version }));
      } else {
        this.ws.send(JSON.stringify({ type: 'nack', version: msg.version, reason }));
      }
    }
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `predicate` holds (checked after every message), or rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for the push client condition');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
