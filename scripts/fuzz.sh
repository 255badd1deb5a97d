#!/usr/bin/env bash
# fuzz.sh - bounded libFuzzer runs of the loader and the whole compile pipeline.
#
#   scripts/fuzz.sh [SECONDS]      (default 300 per harness)
#
# Builds the harnesses with clang (-fsanitize=fuzzer,address,undefined), seeds
# them with fuzz/corpus (kept in the repo) plus the ONNX test models, and merges
# new interesting inputs back into fuzz/corpus. A crash leaves crash-* files in
# fuzz/crashes/ and fails the run; each one found must become a regression test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-300}
CC=clang cmake -S . -B build-fuzz -DCNNC_FUZZ=ON -DCNNC_SANITIZE=ON -DCNNC_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=Debug > /dev/null
cmake --build build-fuzz -j"$(nproc)" > /dev/null
mkdir -p fuzz/corpus fuzz/crashes
seeds=$(mktemp -d)
for d in /usr/share/libonnx-testdata/data/node/*/; do
	cp "$d/model.onnx" "$seeds/$(basename "$d").onnx"
done
status=0
for h in fuzz_load fuzz_compile; do
	new=$(mktemp -d)
	echo "== $h for $secs s"
	build-fuzz/$h -max_total_time="$secs" -rss_limit_mb=4096 -timeout=20 \
		-artifact_prefix=fuzz/crashes/ "$new" fuzz/corpus "$seeds" 2>&1 | grep -E "^(Done|==.*ERROR|SUMMARY)" || status=1
	build-fuzz/$h -merge=1 fuzz/corpus "$new" > /dev/null 2>&1 || true
	rm -rf "$new"
done
rm -rf "$seeds"
ls fuzz/crashes | grep -q . && { echo "crashes found in fuzz/crashes"; status=1; }
exit $status
