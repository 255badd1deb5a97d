#!/usr/bin/env bash
# run.sh - end-to-end model tests: cnnc verify against ONNX Runtime reference outputs.
#
#   tests/e2e/run.sh [--all] [--cnnc PATH] [-j N] [-v] [--keep DIR] [NAME...]
#
# Runs the small models of tests/e2e/models.txt (committed under data/NAME/), or with
# --all the big ones too, or the NAMEs given. A big model is not committed: it is
# regenerated with models/make_models.py into $CNNC_E2E_CACHE (default
# build/e2e-models/) and its sha256 must equal data/NAME/model.sha256, so that the
# committed reference outputs still apply. Prints PASS/FAIL per model with cnnc
# verify's reason, then "N passed, N failed"; exits 1 on any failure.
# -v adds cnnc verify's per-output lines (largest error); --keep DIR keeps each
# model's build (model.c, harness, logs) in DIR/NAME.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cnnc=$root/build/cnnc
python=/usr/bin/python3
cache=${CNNC_E2E_CACHE:-$root/build/e2e-models}
all=0
verbose=0
jobs=1
keep=
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--all) all=1 ;;
	--cnnc) cnnc=$2; shift ;;
	-j) jobs=$2; shift ;;
	-j*) jobs=${1#-j} ;;
	--keep) keep=$2; shift ;;
	-v) verbose=1 ;;
	-h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
	*) names+=("$1") ;;
	esac
	shift
done
if [ ! -x "$cnnc" ]; then
	echo "run.sh: no cnnc at $cnnc (build it first: scripts/setup.sh)" >&2
	exit 2
fi
cnnc=$(cd "$(dirname "$cnnc")" && pwd)/$(basename "$cnnc")

# the table: name set rtol atol timeout
declare -A set rtol atol tmo
order=()
while read -r n s r a t; do
	case "$n" in ''|'#'*) continue ;; esac
	set[$n]=$s; rtol[$n]=$r; atol[$n]=$a; tmo[$n]=$t
	order+=("$n")
done < "$here/models.txt"
if [ ${#names[@]} -eq 0 ]; then
	for n in "${order[@]}"; do
		[ "${set[$n]}" = small ] || [ $all = 1 ] && names+=("$n")
	done
fi
for n in "${names[@]}"; do
	if [ -z "${set[$n]:-}" ]; then
		echo "run.sh: unknown model '$n' (see tests/e2e/models.txt)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnnc-e2e-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

sha() { sha256sum "$1" | cut -d' ' -f1; }

# Prints the model file of $1, regenerating a big model when needed; on failure
# prints nothing and leaves the reason in $tmp/$1.reason.
model_of() {
	local n=$1 data=$here/data/$1
	if [ "${set[$n]}" = small ]; then
		echo "$data/model.onnx"
		return
	fi
	local want got f=$cache/$n.onnx
	want=$(cut -d' ' -f1 "$data/model.sha256" 2>/dev/null) || want=
	if [ -z "$want" ]; then
		echo "no $data/model.sha256" > "$tmp/$n.reason"
		return
	fi
	if [ ! -f "$f" ] || [ "$(sha "$f")" != "$want" ]; then
		mkdir -p "$cache"
		if ! "$python" "$root/models/make_models.py" --out "$cache" "$n" > "$tmp/$n.gen" 2>&1; then
			echo "make_models.py failed: $(tail -n 1 "$tmp/$n.gen")" > "$tmp/$n.reason"
			return
		fi
	fi
	got=$(sha "$f")
	if [ "$got" != "$want" ]; then
		echo "regenerated model's sha256 $got is not data/$n/model.sha256 $want (refresh the references with tests/e2e/make_refs.sh $n)" > "$tmp/$n.reason"
		return
	fi
	echo "$f"
}

run_one() {
	local n=$1 model start opts=()
	start=$(date +%s)
	model=$(model_of "$n")
	if [ -z "$model" ]; then
		echo "FAIL $n: $(cat "$tmp/$n.reason")" > "$tmp/$n.result"
	else
		[ -n "$keep" ] && opts=(--keep "$keep/$n") && mkdir -p "$keep"
		"$cnnc" verify "${opts[@]}" --rtol "${rtol[$n]}" --atol "${atol[$n]}" \
			--timeout "${tmo[$n]}" "$model" "$here/data/$n" > "$tmp/$n.log" 2>&1
		local last
		last=$(grep '^RESULT' "$tmp/$n.log" | tail -n 1)
		case "$last" in
		"RESULT PASS") echo "PASS $n ($(( $(date +%s) - start )) s)" > "$tmp/$n.result" ;;
		"RESULT FAIL "*) echo "FAIL $n: ${last#RESULT FAIL }" > "$tmp/$n.result" ;;
		*) echo "FAIL $n: cnnc verify ended without a result: $(tail -n 1 "$tmp/$n.log")" > "$tmp/$n.result" ;;
		esac
		[ $verbose = 1 ] && grep -E '^  .*: output ' "$tmp/$n.log" | sed "s/^/  $n/" >> "$tmp/$n.result"
	fi
	cat "$tmp/$n.result"
}

for n in "${names[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	run_one "$n" &
done
wait

pass=0
fail=0
for n in "${names[@]}"; do
	case "$(cat "$tmp/$n.result" 2>/dev/null)" in
	PASS*) pass=$((pass + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
done
echo "e2e: $pass passed, $fail failed"
[ $fail = 0 ]
