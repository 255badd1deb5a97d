#!/usr/bin/env bash
# make_refs.sh - regenerate the end-to-end reference data with ONNX Runtime.
#
#   tests/e2e/make_refs.sh [--seed N] [NAME...]      (default: every model)
#
# For each model of tests/e2e/models.txt: writes it with models/make_models.py,
# runs tools/ort/reference.js (seeded inputs, ORT without graph optimisation) into
# data/NAME/test_data_set_K/ (two sets for a small model, one for a big one),
# keeps data/NAME/model.onnx for a small model or data/NAME/model.sha256 for a
# big one, then checks ORT's outputs against the script's own float64
# evaluation (make_models.py --check). Needs onnxruntime-node (scripts/setup.sh
# installs it; or set CNNC_ORT_MODULE).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=/usr/bin/python3
seed=1
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--seed) seed=$2; shift ;;
	-h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
	-*) echo "make_refs.sh: unknown option '$1'" >&2; exit 2 ;;
	*) names+=("$1") ;;
	esac
	shift
done
declare -A set
order=()
while read -r n s _; do
	case "$n" in ''|'#'*) continue ;; esac
	set[$n]=$s
	order+=("$n")
done < "$here/models.txt"
[ ${#names[@]} -gt 0 ] || names=("${order[@]}")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnnc-refs-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for n in "${names[@]}"; do
	if [ -z "${set[$n]:-}" ]; then
		echo "make_refs.sh: unknown model '$n' (see tests/e2e/models.txt)" >&2
		exit 2
	fi
	"$python" "$root/models/make_models.py" --out "$tmp" "$n"
	d=$here/data/$n
	rm -rf "$d"
	mkdir -p "$d"
	# two data sets for a small model (its inputs are small), one for a big one
	sets=1
	[ "${set[$n]}" = small ] && sets=2
	node "$root/tools/ort/reference.js" "$tmp/$n.onnx" "$d" --seed "$seed" --sets $sets
	if [ "${set[$n]}" = small ]; then
		cp "$tmp/$n.onnx" "$d/model.onnx"
	else
		(cd "$tmp" && sha256sum "$n.onnx") | sed "s/ $n.onnx\$/ model.onnx/" > "$d/model.sha256"
	fi
	rm -f "$tmp/$n.onnx"
done
"$python" "$root/models/make_models.py" --check "$here/data" "${names[@]}"
