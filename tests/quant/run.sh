#!/usr/bin/env bash
# run.sh - the quantized-op cases: cnnc verify on every tests/quant/data/<case>/.
#
#   tests/quant/run.sh [--cnnc PATH] [CASE...]
#
# Each case is a small model made by make_cases.py (or models/make_quant_models.py)
# with ONNX Runtime's outputs (tools/ort/reference.js). Outputs are int8/uint8 and
# compared exactly, so a case fails on any rounding difference from ORT; float
# outputs get cnnc verify's tolerance. The generated C is built with
# -Wall -Wextra -Werror. Prints PASS/FAIL per case and "quant: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cnnc=$here/../../build/cnnc
if [ "${1:-}" = --cnnc ]; then cnnc=$2; shift 2; fi
export CNNC_CFLAGS=${CNNC_CFLAGS:--std=c99 -O1 -Wall -Wextra -Werror}
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=($(ls "$here/data"))
one() { # one CNNC DIR CASE: prints PASS/FAIL line
	local res
	res=$("$1" verify "$2/$3/model.onnx" "$2/$3" 2>&1 | tail -n 1)
	if [ "$res" = "RESULT PASS" ]; then echo "PASS $3"; else echo "FAIL $3: $res"; fi
}
export -f one
# ORT references made with --optimize (its integer kernels); cases run in parallel
out=$(printf '%s\n' "${cases[@]}" | xargs -P "$(nproc)" -I{} bash -c 'one "$0" "$1" {}' "$cnnc" "$here/data" | sort -k2)
echo "$out"
pass=$(grep -c '^PASS ' <<< "$out")
fail=$(grep -c '^FAIL ' <<< "$out")
echo "quant: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -eq ${#cases[@]} ]
