/**
 * Embeddings through the gateway's own provider layer: a route of kind "embeddings" from the live
 * snapshot, called with the route's first target via its provider adapter. The cache's own calls
 * are infrastructure cost and are not charged to the requesting key (documented in docs/cache.md).
 */
import type { Snapshot } from '../../../common/snapshot.js';
import { getProviderAdapter } from '../../providers/index.js';
import { type Embedder, normalizeInPlace } from './types.js';

const EMBED_TIMEOUT_MS = 2_000;

export class UpstreamEmbedder implements Embedder {
  readonly id: string;
  dimensions = 0;
  private seq = 0;

  constructor(
    private readonly routeName: string,
    private readonly snapshot: () => Snapshot | null,
  ) {
    this.id = `upstream:${routeName}`;
  }

  async embed(text: string): Promise<Float32Array> {
    const snap = this.snapshot();
    const route = snap?.routes[this.routeName];
    if (!snap || !route || route.kind !== 'embeddings') {
      throw new Error(`embedder route '${this.routeName}' is not an embeddings route in the live snapshot`);
    }
    const target = route.targets[0];
    const provider = target ? snap.providers[target.provider] : undefined;
    if (!target || !provider) throw new Error(`embedder route '${this.routeName}' has no usable target`);
    const { response } = await getProviderAdapter(provider.type).embeddings(
      { model: target.model, input: text },
      { provider, model: target.model },
      {
        signal: AbortSignal.timeout(Math.min(route.timeouts.totalMs, EMBED_TIMEOUT_MS)),
        timeouts: route.timeouts,
        requestId: `cache-embed-${++this.seq}`,
      },
    );
    const raw = response.data[0]?.embedding;
    if (!Array.isArray(raw)) throw new Error('embeddings response carried no float vector');
    const v = normalizeInPlace(Float32Array.from(raw));
    this.dimensions = v.length;
    return v;
  }
}
