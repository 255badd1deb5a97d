#!/usr/bin/env bash
# test.sh - the project's test command: set up, build, and run every default test.
#
#   scripts/test.sh
#
# 1. ctest of the normal build: cmocka unit tests, quantized-op cases against ONNX
#    Runtime, the Cortex-M4 build, the installed CMake package and the example;
# 2. the ONNX conformance suites (Debian's ONNX 1.12 data, and ../shared/onnx/
#    testdata-1.23 when that folder exists): fails if a case listed in
#    tests/conformance/expected/ stops passing;
# 3. end-to-end model tests against ONNX Runtime reference outputs, and a smoke run of
#    the difference test (scripts/difftest.sh) on 20 random graphs;
# 4. cnnc built with AddressSanitizer + UndefinedBehaviorSanitizer: unit tests, every
#    quantized and difference-test case model, and a slice of the conformance suite
#    with the generated C also sanitized.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh --no-build
start=$(date +%s)
status=0

echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCNNC_WERROR=ON > /dev/null
cmake --build build -j"$(nproc)" > /dev/null

section() { echo "== $1 ($(( $(date +%s) - start )) s)"; }

section "unit, quantized-op, embedded and packaging tests (ctest)"
(cd build && ctest --output-on-failure -j"$(nproc)") | tail -n 3 || status=1

section "conformance (a case byte-identical to a case of an earlier suite reuses its result)"
d112=/usr/share/libonnx-testdata/data
d123=$root/../shared/onnx/testdata-1.23
suites=(onnx112-node=$d112/node onnx112-simple=$d112/simple
        onnx112-pytorch-operator=$d112/pytorch-operator
        onnx112-pytorch-converted=$d112/pytorch-converted)
if [ -d "$d123" ]; then
	suites+=(onnx123-node=$d123/node onnx123-simple=$d123/simple
	         onnx123-pytorch-operator=$d123/pytorch-operator)
fi
tests/conformance/run.sh "${suites[@]}" || status=1

if [ -x tests/e2e/run.sh ]; then
	section "end-to-end models"
	tests/e2e/run.sh || status=1
fi

section "difference test smoke (20 seeded random graphs against ONNX Runtime)"
scripts/difftest.sh 20 --seed 1 --save build/difftest-cases | tail -n 1 || status=1

section "sanitizers (ASan + UBSan): cnnc's unit tests, and generated C of a conformance slice"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCNNC_SANITIZE=ON -DCNNC_WERROR=ON > /dev/null
cmake --build build-asan -j"$(nproc)" > /dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$(nproc)" \
	-E '^(cmake_package|example_classify|m4|m4_qemu|verify_weights_file|quant_cases|quant_cases_native|difftest_cases|aarch64)$') | tail -n 3 || status=1
# the quantized and difference-test case models through the sanitized cnnc, for the
# host and the aarch64 target (building and running their C is ctest's job above)
asan_cnnc() { # asan_cnnc MODEL TARGET: one line, "ok" or what went wrong
	local out
	out=$(ASAN_OPTIONS=detect_leaks=1 build-asan/cnnc --dim batch_size=1 --target "$2" "$1" \
		-o "$ASAN_TMP/$(basename "$(dirname "$1")")-$2.c" 2>&1) && echo ok ||
		echo "FAIL (ASan cnnc, --target $2) $1: ${out:0:400}"
}
export -f asan_cnnc
export ASAN_TMP=$(mktemp -d)
asan_out=$(for m in tests/quant/data/*/model.onnx tests/difftest/cases/*/model.onnx; do
	printf '%s\0host\0%s\0aarch64\0' "$m" "$m"; done |
	xargs -0 -n 2 -P "$(nproc)" bash -c 'asan_cnnc "$0" "$1"')
grep -v '^ok$' <<< "$asan_out" || true
echo "asan cnnc on case models: $(grep -c '^ok$' <<< "$asan_out") clean, $(grep -c '^FAIL' <<< "$asan_out") failed"
grep -q '^FAIL' <<< "$asan_out" && status=1
rm -rf "$ASAN_TMP"
CONFORMANCE_CFLAGS="-std=c99 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	tests/conformance/run.sh --cnnc build-asan/cnnc --filter "$(cat tests/conformance/asan_slice.txt)" \
	--expected onnx112-node asan-onnx112-node=$d112/node || status=1

echo "== done in $(( $(date +%s) - start )) s: $([ $status = 0 ] && echo PASS || echo FAIL)"
exit $status
