#!/usr/bin/env bash
# aarch64.sh - cnnc's --target aarch64 output built for 64-bit Arm and run under qemu-user.
#
#   tests/embedded/aarch64.sh [--cnnc PATH] [NAME...]
#
# For each model (default: lenet, dscnn, resnet8, lstm_kws, transformer of tests/e2e/data,
# then the quantized quant/resnet8_qdq_u8, quant/qdq_conv_s8, quant/qlinearconv_dw_u8,
# quant/qdq_gemm_u8 and quant/qgemm_u8u8_transb_percol of tests/quant/data), `cnnc verify
# --target aarch64` builds model.c
# and the harness with Debian's aarch64-linux-gnu-gcc (-static, -std=c99 -O2 -Wall
# -Wextra -Werror: NEON vectors of 4 floats), runs the program under qemu-aarch64 and
# compares every output with the ONNX Runtime reference outputs committed beside the
# model, as on the host (int8 outputs exactly). A quant/ model is built three times, once
# per int8 kernel of rt_qgemm.h: -march=armv8-a (widening multiply-accumulate),
# armv8.2-a+dotprod (sdot) and armv8.6-a+i8mm (usdot); qemu-user's default CPU has all.
# Exits 77 (skipped) when aarch64-linux-gnu-gcc or qemu-aarch64 is missing, 1 on a failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cnnc=$root/build/cnnc
if [ "${1:-}" = --cnnc ]; then cnnc=$2; shift 2; fi
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(lenet dscnn resnet8 lstm_kws transformer quant/resnet8_qdq_u8
	quant/qdq_conv_s8 quant/qlinearconv_dw_u8 quant/qdq_gemm_u8 quant/qgemm_u8u8_transb_percol)
for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
	command -v "$tool" > /dev/null || { echo "aarch64: $tool not found, skipped"; exit 77; }
done
fail=0
one() { # one NAME DIR MARCH
	local res
	res=$(CC="aarch64-linux-gnu-gcc -static" "$cnnc" verify --target aarch64 --runner qemu-aarch64 \
		--cflags "-std=c99 -O2 $3 -Wall -Wextra -Werror" "$2/model.onnx" "$2" 2>&1 | tail -n 1)
	if [ "$res" = "RESULT PASS" ]; then
		echo "PASS $1 $3"
	else
		echo "FAIL $1 $3: $res"
		fail=1
	fi
}
for m in "${names[@]}"; do
	case "$m" in
	quant/*)
		for march in armv8-a armv8.2-a+dotprod armv8.6-a+i8mm; do
			one "$m" "$root/tests/quant/data/${m#quant/}" "-march=$march"
		done ;;
	*) one "$m" "$root/tests/e2e/data/$m" "" ;;
	esac
done
exit $fail
