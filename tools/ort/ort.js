'use strict';
// ort.js - shared helpers of the ONNX Runtime scripts: find onnxruntime-node, create a
// reference session (no graph optimisation, one thread), and write ONNX TensorProto
// files (.pb) with a tiny protobuf writer, so no protobuf package is needed.
//
// Key decision: sessions run with graphOptimizationLevel 'disabled'. The reference
// must be what the graph says, not what an optimiser rewrote it into: ORT 1.30
// merges a zero Pad into a following MaxPool although MaxPool pads with -inf.

const fs = require('fs');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..', '..');

// onnxruntime-node from $CNNC_ORT_MODULE (its folder), else the repository's
// node_modules (scripts/setup.sh installs it there), else Node's normal lookup.
function loadOrt() {
  const env = process.env.CNNC_ORT_MODULE;
  if (env) return require(path.resolve(env));
  let where;
  try {
    where = require.resolve('onnxruntime-node', {paths: [repoRoot, process.cwd()]});
  } catch (e) {
    throw new Error('onnxruntime-node not found: run scripts/setup.sh (it installs it into ' +
                    path.join(repoRoot, 'node_modules') + ') or set CNNC_ORT_MODULE to its folder');
  }
  return require(where);
}

// optimize: ORT's full graph optimisation (QDQ fusion into integer kernels, ...), for
// comparing with what ORT really runs rather than with what the graph says.
async function referenceSession(ort, modelPath, optimize) {
  return ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: optimize ? 'all' : 'disabled',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
}

// ORT tensor type -> [TensorProto.DataType, typed array constructor]
const TYPES = {
  float32: [1, Float32Array], uint8: [2, Uint8Array], int8: [3, Int8Array],
  uint16: [4, Uint16Array], int16: [5, Int16Array], int32: [6, Int32Array],
  int64: [7, BigInt64Array], bool: [9, Uint8Array], float16: [10, Uint16Array],
  float64: [11, Float64Array], uint32: [12, Uint32Array], uint64: [13, BigUint64Array],
};

function varint(out, v) {
  // v: a non-negative integer below 2^53, or a BigInt (two's complement for negatives)
  let b = BigInt.asUintN(64, BigInt(v));
  do {
    let byte = Number(b & 0x7fn);
    b >>= 7n;
    if (b) byte |= 0x80;
    out.push(byte);
  } while (b);
}

// TensorProto: dims = 1 (varint, repeated), data_type = 2, name = 8, raw_data = 9.
function tensorProto(name, type, dims, data) {
  if (!TYPES[type]) throw new Error(`tensor '${name}': type ${type} is not supported`);
  const head = [];
  for (const d of dims) {
    head.push(0x08);
    varint(head, d);
  }
  head.push(0x10);
  varint(head, TYPES[type][0]);
  const nm = Buffer.from(name, 'utf8');
  head.push(0x42);
  varint(head, nm.length);
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const tail = [0x4a];
  varint(tail, raw.length);
  return Buffer.concat([Buffer.from(head), nm, Buffer.from(tail), raw]);
}

function writeTensor(file, name, tensor) {
  fs.writeFileSync(file, tensorProto(name, tensor.type, tensor.dims, tensor.data));
}

module.exports = {loadOrt, referenceSession, tensorProto, writeTensor, TYPES, repoRoot};
