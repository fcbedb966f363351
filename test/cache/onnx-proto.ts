/**
 * A minimal protobuf writer for the ONNX messages a model file needs (onnx/onnx.proto, proto2/3
 * wire format). Field numbers from onnx.proto:
 *   ModelProto      ir_version=1 producer_name=2 graph=7 opset_import=8
 *   OperatorSetId   domain=1 version=2
 *   GraphProto      node=1 name=2 initializer=5 input=11 output=12
 *   NodeProto       input=1 output=2 name=3 op_type=4 attribute=5
 *   AttributeProto  name=1 f=2 i=3 ints=8 type=20 (FLOAT=1 INT=2 INTS=7)
 *   TensorProto     dims=1 data_type=2 name=8 raw_data=9 (FLOAT=1 INT64=7)
 *   ValueInfoProto  name=1 type=2;  TypeProto tensor_type=1;  TypeProto.Tensor elem_type=1 shape=2
 *   TensorShapeProto dim=1;  Dimension dim_value=1 dim_param=2
 */

class Writer {
  private parts: Buffer[] = [];
  private varint(n: bigint): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, n);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      bytes.push(b);
    } while (v > 0n);
    this.parts.push(Buffer.from(bytes));
  }
  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }
  int(field: number, n: number | bigint): this {
    this.tag(field, 0);
    this.varint(BigInt(n));
    return this;
  }
  float(field: number, f: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(f);
    this.parts.push(b);
    return this;
  }
  bytes(field: number, data: Buffer | Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(data.length));
    this.parts.push(Buffer.from(data));
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }
  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export type Attr = { name: string } & ({ f: number } | { i: number } | { ints: number[] });

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  type: 'float' | 'int64';
  data: Float32Array | BigInt64Array;
}

export interface OnnxIo {
  name: string;
  type: 'float' | 'int64';
  /** Numbers are fixed sizes, strings symbolic ("batch", "sequence"). */
  shape: Array<number | string>;
}

const elemType = (t: 'float' | 'int64') => (t === 'float' ? 1 : 7);

function tensor(t: OnnxTensor): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, elemType(t.type)).string(8, t.name);
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return w;
}

function valueInfo(io: OnnxIo): Writer {
  const shape = new Writer();
  for (const d of io.shape)
    shape.message(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().string(2, d));
  const tensorType = new Writer().int(1, elemType(io.type)).message(2, shape);
  return new Writer().string(1, io.name).message(2, new Writer().message(1, tensorType));
}

function node(n: OnnxNode, i: number): Writer {
  const w = new Writer();
  for (const x of n.inputs) w.string(1, x);
  for (const x of n.outputs) w.string(2, x);
  w.string(3, `${n.op.toLowerCase()}_${i}`).string(4, n.op);
  for (const a of n.attrs ?? []) {
    const aw = new Writer().string(1, a.name);
    if ('f' in a) aw.float(2, a.f).int(20, 1);
    else if ('i' in a) aw.int(3, a.i).int(20, 2);
    else {
      for (const v of a.ints) aw.int(8, v);
      aw.int(20, 7);
    }
    w.message(5, aw);
  }
  return w;
}

export function encodeModel(graph: {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxIo[];
  outputs: OnnxIo[];
  opset: number;
}): Buffer {
  const g = new Writer();
  for (let i = 0; i < graph.nodes.length; i++) g.message(1, node(graph.nodes[i]!, i));
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, tensor(t));
  for (const io of graph.inputs) g.message(11, valueInfo(io));
  for (const io of graph.outputs) g.message(12, valueInfo(io));
  return new Writer()
    .int(1, 8)
    .string(2, 'sluice-test')
    .message(7, g)
    .message(8, new Writer().string(1, '').int(2, graph.opset))
    .finish();
}
