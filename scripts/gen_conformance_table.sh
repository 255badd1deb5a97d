#!/usr/bin/env bash
# gen_conformance_table.sh - rewrite the README's conformance table from the
# per-case lists of the last full run (tests/conformance/out/<suite>.txt).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/tests/conformance/out
declare -A title=(
	[onnx112-node]="ONNX 1.12 node (Debian libonnx-testdata)"
	[onnx112-simple]="ONNX 1.12 simple"
	[onnx112-pytorch-operator]="ONNX 1.12 pytorch-operator"
	[onnx112-pytorch-converted]="ONNX 1.12 pytorch-converted"
	[onnx123-node]="ONNX 1.23 node"
	[onnx123-simple]="ONNX 1.23 simple"
	[onnx123-pytorch-operator]="ONNX 1.23 pytorch-operator")
table="| suite | cases | passed | failed |
|---|---|---|---|"
for s in onnx112-node onnx112-simple onnx112-pytorch-operator onnx112-pytorch-converted \
	 onnx123-node onnx123-simple onnx123-pytorch-operator; do
	f=$out/$s.txt
	[ -f "$f" ] || continue
	n=$(wc -l < "$f")
	p=$(grep -c ' PASS$' "$f" || true)
	table+="
| ${title[$s]} | $n | $p | $((n - p)) |"
done
awk -v table="$table" '
	/<!-- conformance:begin -->/ { print; print table; skip = 1; next }
	/<!-- conformance:end -->/ { skip = 0 }
	!skip { print }' "$root/README.md" > "$root/README.md.new"
mv "$root/README.md.new" "$root/README.md"
