/**
 * Writes a tiny, real-architecture BERT encoder (1 layer, hidden 32, 2 heads, random weights) as an
 * ONNX model folder that @huggingface/transformers loads offline: config.json, tokenizer.json
 * (WordPiece), tokenizer_config.json, onnx/model.onnx. No Python/torch needed: the graph is
 * written node by node (embeddings + LayerNorm, self-attention with the padding mask, GELU FFN).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeModel, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

export const TINY = { hidden: 32, heads: 2, intermediate: 64, maxPos: 64, typeVocab: 2 } as const;

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS =
  'the a an of to and in is it what how do i my can you your reset password change email cancel subscription weather paris london today tomorrow tablets take safe not'.split(
    ' ',
  );
const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
export const VOCAB = [...SPECIAL, ...WORDS, ...LETTERS, ...LETTERS.map((l) => `##${l}`), '?', '.', ',', '!', "'"];

/** Deterministic weights (mulberry32), uniform in ±scale. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function writeTinyBert(dir: string, seed = 7): Promise<void> {
  const { hidden: H, heads, intermediate: I, maxPos, typeVocab } = TINY;
  const hd = H / heads;
  const V = VOCAB.length;
  const rand = rng(seed);
  const inits: OnnxTensor[] = [];
  const f32 = (name: string, dims: number[], fill?: number, scale = 0.5) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = fill ?? (rand() * 2 - 1) * scale;
    inits.push({ name, dims, type: 'float', data });
    return name;
  };
  const i64 = (name: string, values: number[], dims: number[] = [values.length]) => {
    inits.push({ name, dims, type: 'int64', data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  };
  const scalarF = (name: string, v: number) => {
    inits.push({ name, dims: [], type: 'float', data: Float32Array.of(v) });
    return name;
  };

  f32('word_emb', [V, H]);
  f32('pos_emb', [maxPos, H]);
  f32('type_emb', [typeVocab, H]);
  for (const ln of ['ln0', 'ln1', 'ln2']) {
    f32(`${ln}_g`, [H], 1);
    f32(`${ln}_b`, [H], 0);
  }
  for (const w of ['q', 'k', 'v', 'o']) {
    f32(`W${w}`, [H, H], undefined, 0.3);
    f32(`b${w}`, [H], undefined, 0.05);
  }
  f32('W1', [H, I], undefined, 0.3);
  f32('b1', [I], undefined, 0.05);
  f32('W2', [I, H], undefined, 0.3);
  f32('b2', [H], undefined, 0.05);
  i64('one_idx', [1], []);
  i64('zero', [0], []);
  i64('step', [1], []);
  i64('heads_shape', [0, 0, heads, hd]);
  i64('merge_shape', [0, 0, H]);
  i64('mask_axes', [1, 2]);
  scalarF('scale', 1 / Math.sqrt(hd));
  scalarF('one_f', 1);
  scalarF('neg_big', -10000);
  scalarF('half', 0.5);
  scalarF('sqrt2', Math.SQRT2);

  const nodes: OnnxNode[] = [];
  const op = (o: string, inputs: string[], out: string, attrs?: OnnxNode['attrs']) => {
    nodes.push({ op: o, inputs, outputs: [out], attrs });
    return out;
  };
  const ln = (x: string, p: string, out: string) =>
    op('LayerNormalization', [x, `${p}_g`, `${p}_b`], out, [
      { name: 'axis', i: -1 },
      { name: 'epsilon', f: 1e-12 },
    ]);
  const linear = (x: string, w: string, b: string, out: string) =>
    op('Add', [op('MatMul', [x, w], `${out}_mm`), b], out);

  // Embeddings: word + position + token type, then LayerNorm.
  const we = op('Gather', ['word_emb', 'input_ids'], 'we');
  const seqLen = op('Gather', [op('Shape', ['input_ids'], 'ids_shape'), 'one_idx'], 'seq_len');
  const pe = op('Gather', ['pos_emb', op('Range', ['zero', seqLen, 'step'], 'positions')], 'pe');
  const te = op('Gather', ['type_emb', 'token_type_ids'], 'te');
  const x0 = ln(op('Add', [op('Add', [we, te], 'wte'), pe], 'emb'), 'ln0', 'x0');

  // Self-attention with the padding mask.
  const split = (x: string, perm: number[], out: string) =>
    op('Transpose', [op('Reshape', [x, 'heads_shape'], `${out}_r`)], out, [{ name: 'perm', ints: perm }]);
  const q = split(linear(x0, 'Wq', 'bq', 'q'), [0, 2, 1, 3], 'qh');
  const k = split(linear(x0, 'Wk', 'bk', 'k'), [0, 2, 3, 1], 'kh');
  const v = split(linear(x0, 'Wv', 'bv', 'v'), [0, 2, 1, 3], 'vh');
  const scores = op('Mul', [op('MatMul', [q, k], 'qk'), 'scale'], 'scores');
  const maskF = op(
    'Unsqueeze',
    [op('Cast', ['attention_mask'], 'mask_f', [{ name: 'to', i: 1 }]), 'mask_axes'],
    'mask4',
  );
  const maskAdd = op('Mul', [op('Sub', ['one_f', maskF], 'mask_inv'), 'neg_big'], 'mask_add');
  const probs = op('Softmax', [op('Add', [scores, maskAdd], 'scores_m')], 'probs', [{ name: 'axis', i: -1 }]);
  const ctxh = op('Transpose', [op('MatMul', [probs, v], 'ctx_h')], 'ctx_t', [{ name: 'perm', ints: [0, 2, 1, 3] }]);
  const attn = linear(op('Reshape', [ctxh, 'merge_shape'], 'ctx'), 'Wo', 'bo', 'attn');
  const x1 = ln(op('Add', [attn, x0], 'res1'), 'ln1', 'x1');

  // Feed-forward with exact (erf) GELU.
  const ff = linear(x1, 'W1', 'b1', 'ff');
  const gelu = op(
    'Mul',
    [
      op('Mul', [ff, 'half'], 'ff_half'),
      op('Add', ['one_f', op('Erf', [op('Div', [ff, 'sqrt2'], 'ff_s')], 'ff_erf')], 'ff_1p'),
    ],
    'gelu',
  );
  const ff2 = linear(gelu, 'W2', 'b2', 'ff2');
  ln(op('Add', [ff2, x1], 'res2'), 'ln2', 'last_hidden_state');

  const ids = (name: string) => ({ name, type: 'int64' as const, shape: ['batch_size', 'sequence_length'] });
  const model = encodeModel({
    name: 'tiny-bert',
    nodes,
    initializers: inits,
    inputs: [ids('input_ids'), ids('attention_mask'), ids('token_type_ids')],
    outputs: [{ name: 'last_hidden_state', type: 'float', shape: ['batch_size', 'sequence_length', H] }],
    opset: 17,
  });

  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'onnx', 'model.onnx'), model);
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'bert',
      architectures: ['BertModel'],
      hidden_size: H,
      num_attention_heads: heads,
      num_hidden_layers: 1,
      intermediate_size: I,
      vocab_size: V,
      max_position_embeddings: maxPos,
      type_vocab_size: typeVocab,
      hidden_act: 'gelu',
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
    }),
  );
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
  await writeFile(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: maxPos,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
    }),
  );
}

function tokenizerJson() {
  const id = (t: string) => VOCAB.indexOf(t);
  const special = (t: string) => ({ [t]: { id: t, ids: [id(t)], tokens: [t] } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { ...special('[CLS]'), ...special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])),
    },
  };
}
