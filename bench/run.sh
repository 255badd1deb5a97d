#!/usr/bin/env bash
# run.sh - cnnc against ONNX Runtime, one core, in one run.
#
#   bench/run.sh [--rounds R] [--runs K] [MODEL...]
#
# MODEL is a name of models/make_models.py, or NAME_qdq_u8 / NAME_qdq_s8 for its int8
# QDQ form, NAME_qop_u8 / NAME_qop_s8 for its QOperator form (QLinearConv, ...)
# (models/make_quant_models.py; ORT runs both with its int8 kernels).
#
# For each model (default: the benchmark set below, made by models/make_models.py
# with seeded weights): compile it with cnnc, build the C with clang -O3
# -march=native, then alternate R rounds of K timed runs of cnnc's program and
# of ONNX Runtime (onnxruntime-node, 1 intra-op and 1 inter-op thread, all graph
# optimisations) on the same input, after warm-up. Prints per model both medians,
# the ratio cnnc/ORT, GFLOP/s and its fraction of this machine's single-core FMA
# peak (measured here by bench/peak.c), cnnc's workspace against the liveness
# lower bound, code and weight sizes, each process's peak RSS, and how long cnnc
# and clang -O2 took to build. "cnnc/ORT CPU time" is the ratio of the CPU-time
# medians, the fair figure when the machine is shared. The table also goes to
# bench/out/results.md. BENCH_CNNC_FLAGS adds options to the cnnc command line (e.g.
# --winograd=off, to compare with the direct convolution kernel).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=5 runs=5 warmup=3
models=()
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) models+=("$1"); shift ;;
	esac
done
[ ${#models[@]} -gt 0 ] || models=(lenet5 resnet8 dscnn mobilenetv1_025 mobilenetv2 squeezenet11 resnet50)
out=$root/bench/out
mkdir -p "$out/models"
cnnc=$root/build/cnnc
[ -x "$cnnc" ] || { echo "bench: build cnnc first (scripts/setup.sh)" >&2; exit 2; }
CC=${BENCH_CC:-clang}
PY=/usr/bin/python3

$CC -O2 -march=native -ffp-contract=fast bench/peak.c -o "$out/peak"
peak=$("$out/peak")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "machine: $cpu, single-core FMA peak $peak GFLOP/s (bench/peak.c)"

# NAME_{qdq,qop}_{u8,s8}: the int8 QDQ / QOperator form of NAME (models/make_quant_models.py)
float_models=() ; quant=()
for m in "${models[@]}"; do
	case "$m" in *_qdq_u8|*_qdq_s8|*_qop_u8|*_qop_s8) quant+=("$m") ;; *) float_models+=("$m") ;; esac
done
[ ${#float_models[@]} -eq 0 ] || $PY models/make_models.py --out "$out/models" "${float_models[@]}" > /dev/null
for m in "${quant[@]}"; do
	form=${m%_*}; form=${form##*_}
	$PY models/make_quant_models.py --out "$out/models" --type "${m##*_}" --form "$form" "${m%_q??_*}" > /dev/null
done

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

table="| model | cnnc ms | ORT ms | cnnc/ORT | cnnc/ORT CPU time | GFLOP/s | % peak | workspace (bound) | code | weights | RSS cnnc | RSS ORT | cnnc s (CPU) | clang -O2 s |"
sep="|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
rows=()
for m in "${models[@]}"; do
	onnx=$out/models/$m.onnx
	dir=$out/$m
	mkdir -p "$dir"
	# symbolic dims (batch) are 1
	dims=$($PY -c "import onnx
m = onnx.load('$onnx', load_external_data=False)
print(' '.join('--dim %s=1' % d.dim_param for i in m.graph.input
               for d in i.type.tensor_type.shape.dim if d.dim_param))")
	# cnnc's own time: wall, and CPU (user + system) in parentheses
	TIMEFORMAT='%R %U %S'
	# shellcheck disable=SC2086
	{ time "$cnnc" -v $dims ${BENCH_CNNC_FLAGS:-} "$onnx" -o "$dir/model.c" --name model 2> "$dir/cnnc.log"; } 2> "$dir/cnnc.rusage" || {
		echo "$m: cnnc failed: $(tail -n1 "$dir/cnnc.log")"; rows+=("| $m | cnnc failed | | | | | | | | | | | | |"); continue; }
	cnnc_s=$(awk '{printf "%.2f (%.2f)", $1, $2 + $3}' "$dir/cnnc.rusage")
	t0=$(date +%s.%N)
	$CC -O2 -c "$dir/model.c" -o "$dir/model_O2.o"
	t1=$(date +%s.%N)
	clang_s=$(echo "$t1 - $t0" | bc | awk '{printf "%.2f", $1}')
	$CC -O3 -march=native -ffp-contract=fast -c "$dir/model.c" -o "$dir/model.o"
	$CC -O2 -I"$dir" bench/bench.c "$dir/model.o" -o "$dir/bench" -lm
	$PY -c "import numpy as np, onnx, sys
m = onnx.load('$onnx'); inits = {i.name for i in m.graph.initializer}
x = [i for i in m.graph.input if i.name not in inits][0]
shape = [d.dim_value or 1 for d in x.type.tensor_type.shape.dim]
np.random.default_rng(0).standard_normal(shape).astype(np.float32).tofile('$dir/input.bin')"
	: > "$dir/cnnc.times"; : > "$dir/ort.times"
	for r in $(seq "$rounds"); do
		"$dir/bench" "$dir/input.bin" "$warmup" "$runs" >> "$dir/cnnc.times"
		node bench/ort_bench.js "$onnx" "$dir/input.bin" "$warmup" "$runs" >> "$dir/ort.times"
	done
	c_ms=$(grep '^t ' "$dir/cnnc.times" | cut -d' ' -f2 | median)
	o_ms=$(grep '^t ' "$dir/ort.times" | cut -d' ' -f2 | median)
	c_cpu=$(grep '^c ' "$dir/cnnc.times" | cut -d' ' -f2 | median)
	o_cpu=$(grep '^c ' "$dir/ort.times" | cut -d' ' -f2 | median)
	c_rss=$(grep '^rss ' "$dir/cnnc.times" | cut -d' ' -f2 | sort -n | tail -n1)
	o_rss=$(grep '^rss ' "$dir/ort.times" | cut -d' ' -f2 | sort -n | tail -n1)
	# flops.py needs ONNX shape inference, which stops at com.microsoft ops: a QOperator
	# model counts as the float model it quantizes (the same convolutions and products)
	case "$m" in
	*_qop_*) [ -f "$out/models/${m%_qop_*}.onnx" ] ||
		$PY models/make_models.py --out "$out/models" "${m%_qop_*}" > /dev/null
		macs=$($PY bench/flops.py "$out/models/${m%_qop_*}.onnx") ;;
	*) macs=$($PY bench/flops.py "$onnx") ;;
	esac
	gflops=$(echo "scale=2; 2 * $macs / ($c_ms * 1000000)" | bc)
	pct=$(echo "scale=1; 100 * $gflops / $peak" | bc)
	ratio=$(echo "scale=2; $c_ms / $o_ms" | bc)
	cratio=$(echo "scale=2; $c_cpu / $o_cpu" | bc)
	ws=$(grep -m1 '#define model_WORKSPACE_SIZE' "$dir/model.h" | awk '{print $3}')
	bound=$(grep -m1 'lower bound' "$dir/cnnc.log" | sed 's/.*lower bound \([0-9]*\).*/\1/' || true)
	text=$(size -A "$dir/model.o" | awk '$1==".text"{print $2}')
	rodata=$(size -A "$dir/model.o" | awk '$1 ~ /^\.rodata/{s+=$2} END{print s+0}')
	row="| $m | $c_ms | $o_ms | $ratio | $cratio | $gflops | $pct | $ws (${bound:-?}) | $text | $rodata | ${c_rss} KiB | ${o_rss} KiB | $cnnc_s | $clang_s |"
	echo "$row"
	rows+=("$row")
done
{
	echo "machine: $cpu; single-core FMA peak $peak GFLOP/s; $(date -u +%Y-%m-%d); load average at the end $(cut -d" " -f1-3 /proc/loadavg)"
	echo
	echo "$table"
	echo "$sep"
	printf '%s\n' "${rows[@]}"
} > "$out/results.md"
echo
cat "$out/results.md"
