#!/usr/bin/env node
'use strict';
// reference.js - ONNX Runtime reference data for `cnnc verify`.
//
//   node tools/ort/reference.js MODEL.onnx CASE_DIR [--seed N] [--sets N] [--dim NAME=V] [--optimize]
//
// Makes seeded inputs (float: standard normal; integers: 0..9; bool: 0/1), runs
// the model with ONNX Runtime (no graph optimisation, one thread) and writes
// CASE_DIR/test_data_set_K/input_I.pb and output_I.pb, the layout of ONNX's own
// test cases. Data set K uses seed N+K. Symbolic dimensions are 1 unless --dim
// binds them. --optimize runs ORT with all graph optimisations (for quantized models:
// its QDQ fusion into integer kernels). ORT is found as tools/ort/ort.js says (CNNC_ORT_MODULE or the
// repository's node_modules).

const fs = require('fs');
const path = require('path');
const {loadOrt, referenceSession, writeTensor, TYPES} = require('./ort.js');

const usage = 'usage: node tools/ort/reference.js MODEL.onnx CASE_DIR [--seed N] [--sets N] ' +
              '[--dim NAME=V] [--optimize]';

// mulberry32: a small seeded generator of uint32s, the same on every machine.
function rng(seed) {
  let a = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  };
}

function makeInput(ort, meta, next, dims) {
  const shape = meta.shape.map((d) => {
    if (typeof d === 'number' && d >= 0) return d;
    if (typeof d === 'string' && d in dims) return dims[d];
    return 1;
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const entry = TYPES[meta.type];
  if (!entry || meta.type === 'float16') throw new Error(`input '${meta.name}': type ${meta.type} is not supported`);
  const data = new entry[1](n);
  const uniform = () => (next() + 0.5) / 4294967296;
  for (let i = 0; i < n; i++) {
    if (meta.type === 'float32' || meta.type === 'float64') {
      // Box-Muller; one normal per pair of uniforms keeps the stream simple
      data[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    } else if (meta.type === 'bool') {
      data[i] = next() & 1;
    } else if (meta.type === 'int64' || meta.type === 'uint64') {
      data[i] = BigInt(next() % 10);
    } else {
      data[i] = next() % 10;
    }
  }
  return new ort.Tensor(meta.type, data, shape);
}

function stats(t) {
  if (t.type !== 'float32' && t.type !== 'float64') return '';
  let mx = 0, s = 0, s2 = 0;
  for (const v of t.data) {
    mx = Math.max(mx, Math.abs(v));
    s += v;
    s2 += v * v;
  }
  const n = t.data.length || 1;
  const sd = Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
  return ` std ${sd.toPrecision(3)} max|x| ${mx.toPrecision(3)}`;
}

// Runs MODEL with ORT on `sets` seeded data sets and writes them under CASE_DIR
// (test_data_set_K/input_I.pb, output_I.pb). Throws on any ORT error.
async function writeCase(ort, model, caseDir, {seed = 1, sets = 1, dims = {}, quiet = false, optimize = false} = {}) {
  const session = await referenceSession(ort, model, optimize);
  for (let k = 0; k < sets; k++) {
    const dir = path.join(caseDir, `test_data_set_${k}`);
    fs.mkdirSync(dir, {recursive: true});
    for (const f of fs.readdirSync(dir)) {
      if (/^(input|output)_\d+\.pb$/.test(f)) fs.unlinkSync(path.join(dir, f));
    }
    const next = rng(seed + k);
    const feeds = {};
    session.inputMetadata.forEach((meta, i) => {
      if (!meta.isTensor) throw new Error(`input '${meta.name}' is not a tensor`);
      feeds[meta.name] = makeInput(ort, meta, next, dims);
      writeTensor(path.join(dir, `input_${i}.pb`), meta.name, feeds[meta.name]);
    });
    const results = await session.run(feeds);
    session.outputNames.forEach((name, i) => {
      const t = results[name];
      writeTensor(path.join(dir, `output_${i}.pb`), name, t);
      if (!quiet) console.log(`${path.basename(model)}: set ${k}: output '${name}' ${t.type}[${t.dims}]${stats(t)}`);
    });
  }
}

async function main(argv) {
  const pos = [];
  let seed = 1, sets = 1, optimize = false;
  const dims = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage);
      return 0;
    } else if (a === '--optimize') {
      optimize = true;
    } else if (a === '--seed' || a === '--sets' || a === '--dim') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === '--seed') seed = parseInt(v, 10);
      else if (a === '--sets') sets = parseInt(v, 10);
      else {
        const [k, val] = v.split('=');
        dims[k] = parseInt(val, 10);
      }
    } else if (a.startsWith('-')) {
      throw new Error(`unknown option '${a}'\n${usage}`);
    } else {
      pos.push(a);
    }
  }
  if (pos.length !== 2 || !(sets >= 1) || Number.isNaN(seed)) {
    console.error(usage);
    return 2;
  }
  const [model, caseDir] = pos;
  await writeCase(loadOrt(), model, caseDir, {seed, sets, dims, optimize});
  return 0;
}

module.exports = {writeCase};

if (require.main === module) {
  main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
    console.error(`reference.js: ${e.message}`);
    process.exit(1);
  });
}
