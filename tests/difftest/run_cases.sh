#!/usr/bin/env bash
# run_cases.sh - re-runs the saved difference-test reproducers as regression tests.
#
#   tests/difftest/run_cases.sh [--cnnc PATH] [-j N] [CASE_DIR...]
#
# Each folder under tests/difftest/cases/ is a graph that cnnc once got wrong (found
# by scripts/difftest.sh, shrunk, saved with its ONNX Runtime reference in
# test_data_set_0/ and the story in info.txt). Runs `cnnc verify` on each with the
# difference test's tolerance (rtol 1e-3, atol 1e-4) and the --target and other
# options ("options:" line) that info.txt records, if any; prints PASS or FAIL with
# the reason per case, then "N passed, M failed"; exits 1 on any failure. Needs only
# cnnc and a C compiler ($CC), not ONNX Runtime. ctest runs it (difftest_cases).
# (tests/difftest/make_winograd_cases.py writes the wino_* cases, with float64
# references, instead of the difference test.)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cnnc=$root/build/cnnc
jobs=2
cases=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cnnc) cnnc=$2; shift ;;
	-j) jobs=$2; shift ;;
	-h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run_cases.sh: unknown option '$1'" >&2; exit 2 ;;
	*) cases+=("$1") ;;
	esac
	shift
done
[ -x "$cnnc" ] || { echo "run_cases.sh: no cnnc at $cnnc (build first)" >&2; exit 2; }
if [ ${#cases[@]} -eq 0 ]; then
	for d in "$here"/cases/*/; do
		[ -f "$d/model.onnx" ] && cases+=("${d%/}")
	done
fi
[ ${#cases[@]} -gt 0 ] || { echo "run_cases.sh: no cases found" >&2; exit 2; }

one() { # one CNNC CASE_DIR
	local res
	local target opts=()
	target=$(sed -n 's/^target: //p' "$2/info.txt" 2>/dev/null)
	[ -n "$target" ] && opts=(--target "$target")
	# shellcheck disable=SC2207
	opts+=($(sed -n 's/^options: //p' "$2/info.txt" 2>/dev/null))
	res=$("$1" verify --rtol 1e-3 --atol 1e-4 --timeout 30 "${opts[@]}" "$2" 2>&1 | grep '^RESULT' | tail -n 1)
	if [ "$res" = "RESULT PASS" ]; then
		echo "PASS $(basename "$2")"
	else
		echo "FAIL $(basename "$2"): ${res:-cnnc verify ended without a result}"
	fi
}
export -f one
out=$(printf '%s\0' "${cases[@]}" | xargs -0 -n 1 -P "$jobs" bash -c 'one "$0" "$1"' "$cnnc" | sort)
echo "$out"
pass=$(grep -c '^PASS' <<< "$out")
fail=$(grep -c '^FAIL' <<< "$out")
echo "difftest cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -eq ${#cases[@]} ]
