#!/usr/bin/env bash
# aarch64.sh - cnnc's --target aarch64 output built for 64-bit Arm and run under qemu-user.
#
#   tests/embedded/aarch64.sh [--cnnc PATH] [NAME...]
#
# For each model (default: lenet, dscnn, resnet8, lstm_kws, transformer of tests/e2e/data),
# `cnnc verify --target aarch64` builds model.c and the harness with Debian's
# aarch64-linux-gnu-gcc (-static, -std=c99 -O2 -Wall -Wextra -Werror: NEON vectors of 4
# floats), runs the program under qemu-aarch64 and compares every output with the ONNX
# Runtime reference outputs committed beside the model, as on the host.
# Exits 77 (skipped) when aarch64-linux-gnu-gcc or qemu-aarch64 is missing, 1 on a failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cnnc=$root/build/cnnc
if [ "${1:-}" = --cnnc ]; then cnnc=$2; shift 2; fi
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(lenet dscnn resnet8 lstm_kws transformer)
for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
	command -v "$tool" > /dev/null || { echo "aarch64: $tool not found, skipped"; exit 77; }
done
fail=0
for m in "${names[@]}"; do
	d=$root/tests/e2e/data/$m
	res=$(CC="aarch64-linux-gnu-gcc -static" "$cnnc" verify --target aarch64 --runner qemu-aarch64 \
		--cflags "-std=c99 -O2 -Wall -Wextra -Werror" "$d/model.onnx" "$d" 2>&1 | tail -n 1)
	if [ "$res" = "RESULT PASS" ]; then
		echo "PASS $m"
	else
		echo "FAIL $m: $res"
		fail=1
	fi
done
exit $fail
