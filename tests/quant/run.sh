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
# the whole models plan their workspace at the liveness bound: values whose float
# producer fold_qdq removed must take no room (they once made ResNet-8's 14% larger)
ws_bad=0
for c in resnet8_qdq_u8 resnet8_qop_u8 mobilenetv1_025_qdq_u8 dscnn_qdq_u8; do
	[ -d "$here/data/$c" ] || continue
	line=$("$cnnc" -v --dim batch_size=1 "$here/data/$c/model.onnx" -o "$(mktemp -d)/m.c" 2>&1 | grep '^cnnc: workspace')
	read -r ws bound < <(sed -E 's/.*workspace ([0-9]+) bytes, liveness lower bound ([0-9]+).*/\1 \2/' <<< "$line")
	if [ -z "$ws" ] || [ "$ws" -gt $((bound + bound / 20)) ]; then
		echo "FAIL $c: workspace ${ws:-?} is more than 5% above the bound ${bound:-?}"; ws_bad=1
	fi
done
[ "$fail" -eq 0 ] && [ "$pass" -eq ${#cases[@]} ] && [ "$ws_bad" -eq 0 ]
