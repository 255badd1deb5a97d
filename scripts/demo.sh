#!/usr/bin/env bash
# demo.sh - the README's main command: compile a trained CNN to C and check it.
#
#   scripts/demo.sh
#
# 1. scripts/setup.sh installs what is missing and builds build/cnnc;
# 2. cnnc compiles models/digits.onnx (a small CNN trained on sklearn's 8x8
#    handwritten digits by models/train_digits.py) into build/demo/digits.c + .h;
# 3. cc builds examples/digits/main.c with it, and the program classifies the 360
#    test images and prints its accuracy;
# 4. ONNX Runtime classifies the same images (examples/digits/ort_accuracy.js).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
out=build/demo
mkdir -p "$out"
echo "== build/cnnc models/digits.onnx -o $out/digits.c"
build/cnnc models/digits.onnx -o "$out/digits.c"
echo "== ${CC:-cc} examples/digits/main.c $out/digits.c -o $out/digits"
"${CC:-cc}" -std=c99 -O2 -Wall -Wextra -I"$out" -o "$out/digits" examples/digits/main.c "$out/digits.c" -lm
echo "== accuracy on the digits test set"
"$out/digits" models/digits_test_x.f32 models/digits_test_y.u8
node examples/digits/ort_accuracy.js
