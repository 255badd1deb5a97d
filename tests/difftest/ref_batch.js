#!/usr/bin/env node
'use strict';
// ref_batch.js - ONNX Runtime references for many models in one node process.
//
//   node tests/difftest/ref_batch.js LIST
//
// LIST has one case folder a line; each holds model.onnx. For each, writes
// test_data_set_0/ as tools/ort/reference.js does (same seeded inputs, graph
// optimisations disabled) and prints "OK DIR" or "ERR DIR: message". Starting
// node and loading ORT costs about a third of a second, more than running a
// small graph, so the difference test batches every ORT call through here.

const fs = require('fs');
const path = require('path');
const {loadOrt} = require('../../tools/ort/ort.js');
const {writeCase} = require('../../tools/ort/reference.js');

async function main(argv) {
  if (argv.length !== 1) {
    console.error('usage: node tests/difftest/ref_batch.js LIST');
    return 2;
  }
  const ort = loadOrt();
  const dirs = fs.readFileSync(argv[0], 'utf8').split('\n').filter((l) => l.length > 0);
  for (const dir of dirs) {
    try {
      await writeCase(ort, path.join(dir, 'model.onnx'), dir, {quiet: true});
      console.log(`OK ${dir}`);
    } catch (e) {
      console.log(`ERR ${dir}: ${String(e.message).split('\n')[0]}`);
    }
  }
  return 0;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
  console.error(`ref_batch.js: ${e.message}`);
  process.exit(1);
});
