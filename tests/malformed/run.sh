#!/usr/bin/env bash
# run.sh - checks cnnc against the malformed-model corpus (made by make.py).
#
#   tests/malformed/run.sh [--cnnc PATH] [NAME...]
#
# For each line "NAME<TAB>WANT" of expected.txt:
#   WANT is PASS: good/NAME/ (hostile names) must compile and pass `cnnc verify`.
#   otherwise:    `cnnc bad/NAME.onnx -o OUT.c` must exit with status 1 (not a
#                 signal, not a sanitizer's status), print exactly one line
#                 "cnnc: error: bad/NAME.onnx: ..." that contains WANT, and write
#                 neither OUT.c nor OUT.h.
# Prints PASS/FAIL per model and "N passed, M failed"; exits 1 on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cnnc=$root/build/cnnc
only=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cnnc) cnnc=$2; shift ;;
	-h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
	*) only+=("$1") ;;
	esac
	shift
done
[ -x "$cnnc" ] || { echo "run.sh: no cnnc at $cnnc (build first)" >&2; exit 2; }
cnnc=$(cd "$(dirname "$cnnc")" && pwd)/$(basename "$cnnc") # run.sh cds into its folder
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnnc-malformed-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

check_bad() { # check_bad NAME WANT -> prints the problem, or nothing
	local model=$here/bad/$1.onnx rc lines
	[ -f "$model" ] || { echo "no file bad/$1.onnx"; return; }
	rm -f "$tmp"/out.*
	(cd "$here" && timeout 60 "$cnnc" "bad/$1.onnx" -o "$tmp/out.c") > "$tmp/stdout" 2> "$tmp/stderr"
	rc=$?
	lines=$(wc -l < "$tmp/stderr")
	if [ $rc -ne 1 ]; then
		echo "exit status $rc, expected 1: $(head -c 300 "$tmp/stderr")"
	elif [ "$lines" -ne 1 ]; then
		echo "$lines lines on stderr, expected one: $(head -c 300 "$tmp/stderr")"
	elif ! grep -qF "cnnc: error: bad/$1.onnx: " "$tmp/stderr"; then
		echo "the message does not start with 'cnnc: error: bad/$1.onnx: ': $(cat "$tmp/stderr")"
	elif ! grep -qF -- "$2" "$tmp/stderr"; then
		echo "the message lacks '$2': $(cat "$tmp/stderr")"
	elif [ -e "$tmp/out.c" ] || [ -e "$tmp/out.h" ]; then
		echo "an output file was written"
	fi
}

check_good() { # check_good NAME -> prints the problem, or nothing
	local res
	res=$(timeout 120 "$cnnc" verify "$here/good/$1" 2>&1 | grep '^RESULT' | tail -n 1)
	[ "$res" = "RESULT PASS" ] || echo "cnnc verify: ${res:-no result}"
}

while IFS=$'\t' read -r name want; do
	case "$name" in ''|'#'*) continue ;; esac
	if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qxF "$name"; then
		continue
	fi
	if [ "$want" = PASS ]; then
		why=$(check_good "$name")
	else
		why=$(check_bad "$name" "$want")
	fi
	if [ -z "$why" ]; then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name: $why"
		fail=$((fail + 1))
	fi
done < "$here/expected.txt"
echo "malformed: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
