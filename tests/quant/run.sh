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
pass=0 fail=0
for c in "${cases[@]}"; do  # ORT references made with --optimize (its integer kernels)
	res=$("$cnnc" verify "$here/data/$c/model.onnx" "$here/data/$c" 2>&1 | tail -n 1)
	if [ "$res" = "RESULT PASS" ]; then
		pass=$((pass + 1))
		echo "PASS $c"
	else
		fail=$((fail + 1))
		echo "FAIL $c: $res"
	fi
done
echo "quant: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
