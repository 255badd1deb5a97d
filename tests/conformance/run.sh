#!/usr/bin/env bash
# run.sh - the ONNX conformance runner.
#
#   tests/conformance/run.sh [-j N] [--update] [--filter ERE] [--expected NAME] [--cnnc PATH]
#                            [--reuse NAME=DIR] SUITE=DIR...
#
# Runs `cnnc verify` (with clang, -Werror) on every case folder of each suite DIR
# (a folder of <case>/model.onnx + test_data_set_N/), in parallel. Prints per
# suite "N passed, M failed", writes the per-case list with the reason of each
# failure to tests/conformance/out/<suite>.txt, and fails when a case listed in
# tests/conformance/expected/<suite>.txt (the cases known to pass) no longer
# passes. --update rewrites the expected list from this run. --filter keeps the
# cases whose folder name matches the extended regex (a partial run: the list goes
# to out/<suite>.filtered.txt, and only expected cases inside the filter count).
# --expected NAME compares with expected/NAME.txt instead of expected/<suite>.txt
# (a sanitizer run of a slice of a suite). A case byte-identical to the same case
# of a suite earlier on the command line takes that result without a rebuild;
# --reuse NAME=DIR does the same with the list of an earlier run of suite NAME.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
update=0
filter=
expected=
cnnc=${CNNC:-$root/build/cnnc}
suites=()
prev_dirs=() prev_lists=()
while [ $# -gt 0 ]; do
	case "$1" in
	-j) jobs=$2; shift 2 ;;
	--update) update=1; shift ;;
	--filter) filter=$2; shift 2 ;;
	--expected) expected=$2; shift 2 ;;
	--cnnc) cnnc=$2; shift 2 ;;
	--reuse) prev_dirs+=("${2#*=}"); prev_lists+=("$root/tests/conformance/out/${2%%=*}.txt"); shift 2 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*=*) suites+=("$1"); shift ;;
	*) echo "run.sh: expected SUITE=DIR, got '$1'" >&2; exit 2 ;;
	esac
done
[ -x "$cnnc" ] || { echo "run.sh: no cnnc at $cnnc (build first)" >&2; exit 2; }
export CC=${CONFORMANCE_CC:-clang}
export CNNC_CFLAGS=${CONFORMANCE_CFLAGS:--std=c99 -O1 -Wall -Wextra -Werror}
outdir=$root/tests/conformance/out
mkdir -p "$outdir"
status=0

one_case() { # one_case CNNC CASE_DIR RESULT_FILE
	local res
	res=$(timeout 300 "$1" verify --one-unit "$2" 2>&1 | tail -n 1)
	case "$res" in
	"RESULT PASS") echo "PASS" > "$3" ;;
	"RESULT FAIL"*) echo "FAIL ${res#RESULT FAIL }" > "$3" ;;
	*) echo "FAIL run-error: cnnc verify crashed or timed out: ${res:0:300}" > "$3" ;;
	esac
}
export -f one_case

for s in "${suites[@]}"; do
	name=${s%%=*}
	dir=${s#*=}
	if [ ! -d "$dir" ]; then
		echo "$name: $dir not found, skipped"
		continue
	fi
	work=$(mktemp -d)
	t0=$SECONDS
	find "$dir" -mindepth 2 -maxdepth 2 -name model.onnx -printf '%h\n' | sort > "$work/cases"
	if [ -n "$filter" ]; then
		grep -E "/[^/]*($filter)[^/]*\$" "$work/cases" > "$work/cases.f" || true
		mv "$work/cases.f" "$work/cases"
	fi
	# a case whose folder is byte-identical to the same case of a suite run before
	# (ONNX 1.23 keeps hundreds of 1.12's cases unchanged) has that case's result:
	# same files, same compiler, same outcome; it is not compiled again
	reused=0
	: > "$work/todo"
	while read -r c; do
		b=$(basename "$c")
		for k in "${!prev_dirs[@]}"; do
			[ -d "${prev_dirs[$k]}/$b" ] || continue
			r=$(grep -m1 "^$b " "${prev_lists[$k]}" 2>/dev/null | cut -d' ' -f2-)
			if [ -n "$r" ] && diff -rq "${prev_dirs[$k]}/$b" "$c" > /dev/null 2>&1; then
				echo "$r" > "$work/$b.res"
				reused=$((reused + 1))
				break
			fi
		done
		[ -f "$work/$b.res" ] || echo "$c" >> "$work/todo"
	done < "$work/cases"
	while read -r c; do
		printf '%s\0%s\0%s\0' "$cnnc" "$c" "$work/$(basename "$c").res"
	done < "$work/todo" | xargs -0 -r -n 3 -P "$jobs" bash -c 'one_case "$0" "$1" "$2"'
	list=$outdir/$name.txt
	[ -n "$filter" ] && list=$outdir/$name.filtered.txt
	: > "$list"
	pass=0 fail=0
	while read -r c; do
		b=$(basename "$c")
		r=$(cat "$work/$b.res" 2>/dev/null || echo "FAIL run-error: no result")
		echo "$b $r" >> "$list"
		if [ "$r" = PASS ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	done < "$work/cases"
	rm -rf "$work"
	echo "$name: $pass passed, $fail failed in $((SECONDS - t0)) s (list: ${list#$root/})"
	[ "$reused" -gt 0 ] && echo "$name: $reused cases are byte-identical to a case of a suite above and have its result"
	prev_dirs+=("$dir")
	prev_lists+=("$list")
	exp=$here/expected/${expected:-$name}.txt
	if [ -n "$filter" ] && [ -f "$exp" ]; then
		inside=$(mktemp)
		cut -d' ' -f1 "$list" > "$inside"
		regress=$(grep -xF -f "$inside" "$exp" | grep -vxF -f <(grep ' PASS$' "$list" | cut -d' ' -f1) || true)
		rm -f "$inside"
		if [ -n "$regress" ]; then
			echo "$name: REGRESSION: these cases passed before and fail now:"
			grep -F -f <(echo "$regress" | sed 's/$/ /') "$list" | sed 's/^/  /'
			status=1
		fi
	elif [ -n "$filter" ]; then
		grep -v ' PASS$' "$list" | sed 's/^/  /'
	elif [ "$update" = 1 ]; then
		grep ' PASS$' "$list" | cut -d' ' -f1 > "$exp"
		echo "$name: expected list updated ($(wc -l < "$exp") cases)"
	elif [ -f "$exp" ]; then
		regress=$(grep -vxF -f <(grep ' PASS$' "$list" | cut -d' ' -f1) "$exp" || true)
		if [ -n "$regress" ]; then
			echo "$name: REGRESSION: these cases passed before and fail now:"
			grep -F -f <(echo "$regress" | sed 's/$/ /') "$list" | sed 's/^/  /'
			status=1
		fi
		new=$(grep ' PASS$' "$list" | cut -d' ' -f1 | grep -vxF -f "$exp" | wc -l)
		[ "$new" -gt 0 ] && echo "$name: $new cases pass that are not in ${exp#$root/} (run with --update)"
	fi
done
exit $status
