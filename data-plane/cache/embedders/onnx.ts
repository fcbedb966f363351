/**
 * Local ONNX sentence embedders through @huggingface/transformers (feature-extraction pipeline):
 * a model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx) that the
 * user names; remote download from the Hugging Face hub only when the policy allows it.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { env, type FeatureExtractionPipeline, pipeline } from '@huggingface/transformers';
import { type Embedder, normalizeInPlace } from './types.js';

export interface OnnxSettings {
  modelPath: string;
  allowRemote: boolean;
  pooling: 'mean' | 'cls';
  normalize: boolean;
}

export class OnnxEmbedder implements Embedder {
  readonly id: string;

  private constructor(
    private readonly extractor: FeatureExtractionPipeline,
    private readonly settings: OnnxSettings,
    readonly dimensions: number,
  ) {
    this.id = `onnx:${settings.modelPath}:${settings.pooling}`;
  }

  static async load(settings: OnnxSettings): Promise<OnnxEmbedder> {
    const local = resolve(settings.modelPath);
    const isLocal = existsSync(local);
    if (!isLocal && !settings.allowRemote) {
      throw new Error(`ONNX model folder ${local} does not exist and remote models are not allowed`);
    }
    // transformers.js reads these globals when the pipeline loads; set them for this model.
    env.allowRemoteModels = settings.allowRemote;
    env.allowLocalModels = true;
    let modelId = settings.modelPath;
    if (isLocal) {
      env.localModelPath = `${dirname(local)}/`;
      modelId = basename(local);
    }
    const extractor = (await pipeline('feature-extraction', modelId, {
      dtype: 'fp32',
      local_files_only: !settings.allowRemote,
    })) as FeatureExtractionPipeline;
    const probe = await extractor('probe', { pooling: settings.pooling, normalize: settings.normalize });
    return new OnnxEmbedder(extractor, settings, probe.dims[probe.dims.length - 1] as number);
  }

  async embed(text: string): Promise<Float32Array> {
    const out = await this.extractor(text, { pooling: this.settings.pooling, normalize: this.settings.normalize });
    // The index compares by dot product, so vectors are unit length even when the model's
    // own normalization is off.
    return normalizeInPlace(Float32Array.from(out.data as Float32Array));
  }

  async close(): Promise<void> {
    await this.extractor.dispose();
  }
}
