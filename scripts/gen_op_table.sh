#!/usr/bin/env bash
# gen_op_table.sh - rewrite the README's operator table from the op table in the code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cnnc=${1:-$root/build/cnnc}
table=$("$cnnc" --list-ops)
count=$(( $(printf '%s\n' "$table" | wc -l) - 2 ))
awk -v table="$table" -v count="$count" '
	/<!-- ops:begin -->/ { print; print count " operators."; print ""; print table; skip = 1; next }
	/<!-- ops:end -->/ { skip = 0 }
	!skip { print }' "$root/README.md" > "$root/README.md.new"
mv "$root/README.md.new" "$root/README.md"
