import type { Logger } from 'pino';
import type { EmbedderSettings, Snapshot } from '../../../common/snapshot.js';
import { canonicalJson } from '../canonical.js';
import { OfflineEmbedder } from './offline.js';
import { OnnxEmbedder } from './onnx.js';
import type { Embedder } from './types.js';
import { UpstreamEmbedder } from './upstream.js';

/** A failed load is retried at most this often. */
const RETRY_AFTER_MS = 60_000;

/**
 * Embedders by settings, loaded once in the background. A request never waits for a load: until
 * its embedder is ready the semantic tier is skipped (exact tier still works).
 */
export class EmbedderRegistry {
  private readonly ready = new Map<string, Embedder>();
  private readonly loading = new Map<string, Promise<Embedder | null>>();
  private readonly failed = new Map<string, { error: string; at: number }>();

  constructor(
    private readonly offlineCacheDir: string,
    private readonly snapshot: () => Snapshot | null,
    private readonly logger: Logger,
  ) {}

  /** The embedder if loaded; starts loading it otherwise. */
  get(settings: EmbedderSettings): Embedder | null {
    const key = canonicalJson(settings);
    const e = this.ready.get(key);
    if (e) return e;
    const f = this.failed.get(key);
    if (!f || Date.now() - f.at > RETRY_AFTER_MS) void this.load(settings);
    return null;
  }

  /** Loads (once) and resolves when ready; null when loading failed (logged). */
  load(settings: EmbedderSettings): Promise<Embedder | null> {
    const key = canonicalJson(settings);
    const e = this.ready.get(key);
    if (e) return Promise.resolve(e);
    let p = this.loading.get(key);
    if (!p) {
      p = this.create(settings).then(
        (emb) => {
          this.ready.set(key, emb);
          this.failed.delete(key);
          return emb;
        },
        (err: unknown) => {
          this.failed.set(key, { error: err instanceof Error ? err.message : String(err), at: Date.now() });
          this.logger.error(
            { err, embedder: settings.type },
            'cache embedder failed to load; semantic tier off for it',
          );
          this.loading.delete(key); // a later snapshot/request may retry
          return null;
        },
      );
      this.loading.set(key, p);
    }
    return p;
  }

  status(): Array<{ embedder: string; state: 'ready' | 'loading' | 'failed'; error?: string }> {
    const out: Array<{ embedder: string; state: 'ready' | 'loading' | 'failed'; error?: string }> = [];
    for (const [k, e] of this.ready) out.push({ embedder: e.id || k, state: 'ready' });
    for (const k of this.loading.keys()) if (!this.ready.has(k)) out.push({ embedder: k, state: 'loading' });
    for (const [k, f] of this.failed) out.push({ embedder: k, state: 'failed', error: f.error });
    return out;
  }

  private create(settings: EmbedderSettings): Promise<Embedder> {
    switch (settings.type) {
      case 'offline':
        return OfflineEmbedder.load(this.offlineCacheDir);
      case 'onnx':
        return OnnxEmbedder.load(settings);
      case 'upstream':
        return Promise.resolve(new UpstreamEmbedder(settings.route, this.snapshot));
    }
  }

  async close(): Promise<void> {
    for (const e of this.ready.values()) await e.close?.();
    this.ready.clear();
  }
}
