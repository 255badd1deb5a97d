#!/usr/bin/env node
'use strict';
// ort_accuracy.js - ONNX Runtime's accuracy on the digits test set, to set beside
// the cnnc-compiled program's (examples/digits/main.c).
//
//   node examples/digits/ort_accuracy.js [MODEL.onnx IMAGES.f32 LABELS.u8]
//
// Defaults: models/digits.onnx, models/digits_test_x.f32, models/digits_test_y.u8.
// ORT is found as tools/ort/ort.js says (CNNC_ORT_MODULE or the repository's
// node_modules) and runs without graph optimisation on one thread.

const fs = require('fs');
const path = require('path');
const {loadOrt, referenceSession, repoRoot} = require('../../tools/ort/ort.js');

async function main(argv) {
  const [model, xs, ys] = argv.length === 3 ? argv : [
    path.join(repoRoot, 'models', 'digits.onnx'),
    path.join(repoRoot, 'models', 'digits_test_x.f32'),
    path.join(repoRoot, 'models', 'digits_test_y.u8'),
  ];
  const xb = fs.readFileSync(xs);
  const labels = fs.readFileSync(ys);
  const n = labels.length;
  if (xb.length !== n * 64 * 4) throw new Error(`${xs} has ${xb.length} bytes, expected ${n} x 64 floats`);
  const images = new Float32Array(xb.buffer.slice(xb.byteOffset, xb.byteOffset + xb.length));
  const ort = loadOrt();
  const session = await referenceSession(ort, model);
  const input = session.inputNames[0], output = session.outputNames[0];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const x = new ort.Tensor('float32', images.slice(i * 64, (i + 1) * 64), [1, 1, 8, 8]);
    const p = (await session.run({[input]: x}))[output].data;
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
    correct += best === labels[i];
  }
  console.log(`onnxruntime: ${correct}/${n} correct, accuracy ${(100 * correct / n).toFixed(2)}%`);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`ort_accuracy.js: ${e.message}`);
  process.exit(1);
});
