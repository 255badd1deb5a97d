#!/usr/bin/env bash
# fuzz.sh - bounded libFuzzer runs of the loader and the whole compile pipeline.
#
#   scripts/fuzz.sh [SECONDS] [--only fuzz_load|fuzz_compile] [--merge]
#
# Builds the harnesses with clang (-fsanitize=fuzzer,address,undefined) in
# build-fuzz/, then runs each for SECONDS (default 300) under `nice`, starting from
# its corpus in the repository: fuzz/corpus/load/ for fuzz_load, fuzz/corpus/compile/
# for fuzz_compile (a few dozen small ONNX suite models, difference-test graphs and,
# for the loader, the malformed corpus). New interesting inputs go to a scratch folder
# and are dropped, unless --merge folds them into fuzz/corpus/<harness>/ (keep the
# corpus under 2 MB). Prints each harness's executions and exec/s. A crash leaves
# crash-*, leak-* or timeout-* files in fuzz/crashes/ and fails the run; each one
# must become a test in tests/malformed/ and be fixed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=300
merge=0
only=
while [ $# -gt 0 ]; do
	case "$1" in
	--merge) merge=1 ;;
	--only) only=$2; shift ;;
	-h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	[0-9]*) secs=$1 ;;
	*) echo "fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
CC=clang cmake -S . -B build-fuzz -DCNNC_FUZZ=ON -DCNNC_SANITIZE=ON -DCNNC_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=Debug > /dev/null
nice -n 10 cmake --build build-fuzz -j2 > /dev/null
mkdir -p fuzz/crashes
status=0
for h in fuzz_load fuzz_compile; do
	[ -n "$only" ] && [ "$only" != "$h" ] && continue
	corpus=fuzz/corpus/${h#fuzz_}
	new=$(mktemp -d)
	log=$(mktemp)
	echo "== $h for $secs s (corpus $corpus: $(ls "$corpus" | wc -l) files)"
	nice -n 10 build-fuzz/$h -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix=fuzz/crashes/ \
		"$new" "$corpus" > "$log" 2>&1 || status=1
	grep -E "^(Done|==.*ERROR|SUMMARY)|stat::number_of_executed_units|stat::average_exec_per_sec" \
		"$log" || true
	if [ $status -ne 0 ]; then
		echo "-- $h failed; the end of its log:"
		tail -n 40 "$log"
	fi
	if [ $merge = 1 ]; then
		build-fuzz/$h -merge=1 "$corpus" "$new" > /dev/null 2>&1 || true
	fi
	rm -rf "$new" "$log"
done
if ls fuzz/crashes | grep -q .; then
	echo "crashes found in fuzz/crashes:"
	ls fuzz/crashes
	status=1
fi
exit $status
