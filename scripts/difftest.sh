#!/usr/bin/env bash
# difftest.sh - differential test of cnnc against ONNX Runtime on random graphs.
#
#   scripts/difftest.sh N [--seed S] [--kind cnn|dag|mix] [--target T] [-j J] [--no-shrink]
#                         [--save DIR]
#
# Runs N seeded random valid graphs (tests/difftest/gen.py) through ONNX Runtime and
# `cnnc verify`, prints "N run, M mismatched", and saves each mismatch, shrunk, as a
# case folder under tests/difftest/cases/ (re-run them with tests/difftest/run_cases.sh).
# Needs build/cnnc and onnxruntime-node (scripts/setup.sh, or CNNC_ORT_MODULE).
# Exits 1 when a graph mismatched. See tests/difftest/difftest.py.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 "$root/tests/difftest/difftest.py" "$@"
