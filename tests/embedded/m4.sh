#!/usr/bin/env bash
# m4.sh - cnnc's --target generic output on a Cortex-M4F (arm-none-eabi-gcc).
#
#   tests/embedded/m4.sh [--cnnc PATH] [--run] [--keep DIR] [NAME...]
#
# For each model (default: the small e2e models lenet, dscnn, resnet8):
# 1. cnnc --target generic --name model;
# 2. arm-none-eabi-gcc -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -std=c99
#    -O2 -Wall -Wextra -Werror -c model.c; model.o may need nothing from libc but
#    libm and memcpy/memmove/memset/memcmp (which GCC requires of any freestanding
#    program);
# 3. links it into m4_bare.c (vector table + one model_run call, no start files,
#    no stdio) and prints, with arm-none-eabi-size: flash = text + rodata + data,
#    RAM = data + bss (workspace, input and output buffers) + stack. The stack is the
#    deepest path of the static call graph (gcc -fcallgraph-info=su; library calls
#    not counted), or with --run the measured high-water mark.
# --run also builds m4_main.c with the model for the M4 and for the host (-O0: quick
# to build, and -std=c99 keeps both from contracting a*b+c), runs the M4 build under
# qemu-system-arm -M mps2-an386 (newlib rdimon semihosting) and compares every output
# element with the host's (|m4 - host| <= 1e-6 + 1e-5 |host|).
# Exits 77 (skipped) when arm-none-eabi-gcc, or with --run qemu-system-arm, is
# missing; 1 on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cnnc=$root/build/cnnc
run=0
keep=
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cnnc) cnnc=$2; shift ;;
	--run) run=1 ;;
	--keep) keep=$2; shift ;;
	-h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
	-*) echo "m4.sh: unknown option '$1'" >&2; exit 2 ;;
	*) names+=("$1") ;;
	esac
	shift
done
[ ${#names[@]} -gt 0 ] || names=(lenet dscnn resnet8)
if ! command -v arm-none-eabi-gcc >/dev/null; then
	echo "m4.sh: SKIPPED: arm-none-eabi-gcc not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
	exit 77
fi
if [ $run = 1 ] && ! command -v qemu-system-arm >/dev/null; then
	echo "m4.sh: SKIPPED: qemu-system-arm not found (apt-get install qemu-system-arm)"
	exit 77
fi
[ -x "$cnnc" ] || { echo "m4.sh: no cnnc at $cnnc" >&2; exit 2; }

if [ -n "$keep" ]; then
	tmp=$keep
	mkdir -p "$tmp"
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnnc-m4-XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
fi
arch=(-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard)
cflags=(-std=c99 -O2 -Wall -Wextra -Werror)
# what model.o may call: libm's functions and the four GCC needs everywhere
libm=$(arm-none-eabi-gcc "${arch[@]}" -print-file-name=libm.a)
{ arm-none-eabi-nm --defined-only -g "$libm" 2>/dev/null | awk 'NF == 3 {print $3}'
  printf '%s\n' memcpy memmove memset memcmp; } | LC_ALL=C sort -u > "$tmp/allowed"

# Deepest stack path of a -fcallgraph-info=su file, from the function named $2.
deepest() {
	awk -v root="$2" '
	/^node:/ {
		t = $0; sub(/.*title: "/, "", t); sub(/".*/, "", t)
		b = 0
		if (match($0, /[0-9]+ bytes/)) b = substr($0, RSTART, RLENGTH - 6) + 0
		size[t] = b
	}
	/^edge:/ {
		s = $0; sub(/.*sourcename: "/, "", s); sub(/".*/, "", s)
		d = $0; sub(/.*targetname: "/, "", d); sub(/".*/, "", d)
		n[s]++; callee[s, n[s]] = d
	}
	function depth(f,    k, best, v) {
		if (f in memo) return memo[f]
		memo[f] = size[f] # no recursion in generated code; guards a cycle anyway
		best = 0
		for (k = 1; k <= n[f]; k++) { v = depth(callee[f, k]); if (v > best) best = v }
		return memo[f] = size[f] + best
	}
	END { print depth(root) }' "$1"
}

fail=0
printf '%-10s %10s %10s %10s %10s %10s %10s  %s\n' model flash text+ro data+bss workspace stack RAM result
for n in "${names[@]}"; do
	d=$tmp/$n
	mkdir -p "$d"
	model=$root/tests/e2e/data/$n/model.onnx
	extra=()
	[ "$n" = resnet8 ] && extra=(--dim batch_size=1)
	why=
	if ! "$cnnc" --target generic --name model "${extra[@]}" "$model" -o "$d/model.c" > "$d/cnnc.log" 2>&1; then
		why="cnnc: $(head -1 "$d/cnnc.log")"
	elif ! arm-none-eabi-gcc "${arch[@]}" "${cflags[@]}" -fcallgraph-info=su -c "$d/model.c" \
		-o "$d/model.o" -dumpdir "$d/" > "$d/cc.log" 2>&1; then
		why="arm-none-eabi-gcc: $(grep -m1 -E 'error|warning' "$d/cc.log")"
	else
		extern=$(arm-none-eabi-nm -u "$d/model.o" | awk '{print $2}' | LC_ALL=C sort -u | LC_ALL=C comm -23 - "$tmp/allowed" | tr '\n' ' ')
		[ -z "$extern" ] || why="model.o needs more than libm: $extern"
	fi
	if [ -z "$why" ] && ! arm-none-eabi-gcc "${arch[@]}" -std=c99 -O2 -I"$d" -nostartfiles \
		-Wl,--gc-sections -T "$here/m4.ld" -Wl,-e,reset_handler -o "$d/bare.elf" \
		"$here/m4_bare.c" "$d/model.o" -lm -lc -lgcc > "$d/ld.log" 2>&1; then
		why="link: $(head -1 "$d/ld.log")"
	fi
	if [ -n "$why" ]; then
		printf '%-10s FAIL %s\n' "$n" "$why"
		fail=1
		continue
	fi
	read -r text data bss _ < <(arm-none-eabi-size "$d/bare.elf" | tail -1)
	wsz=$(awk '/#define model_WORKSPACE_SIZE/ {print $3}' "$d/model.h")
	stack=$(deepest "$d/model.ci" model_run)
	result=built
	if [ $run = 1 ]; then
		if ! arm-none-eabi-gcc "${arch[@]}" -std=c99 -O2 -Wall -Wextra -I"$d" --specs=rdimon.specs \
			-T "$here/m4.ld" -o "$d/m4.elf" "$here/m4_startup.c" "$here/m4_main.c" "$d/model.o" \
			-lm > "$d/m4ld.log" 2>&1; then
			result="FAIL (link for qemu: $(head -1 "$d/m4ld.log"))"
		elif ! ${CC:-cc} -std=c99 -O0 -I"$d" -o "$d/host" "$here/m4_main.c" "$d/model.c" -lm \
			> "$d/host.log" 2>&1 || ! "$d/host" > "$d/host.out"; then
			result="FAIL (host build or run)"
		elif ! timeout 120 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
			-semihosting-config enable=on,target=native -kernel "$d/m4.elf" > "$d/m4.out" 2>&1; then
			result="FAIL (qemu: $(head -1 "$d/m4.out"))"
		else
			result=$(awk '
				FNR == NR && $1 == "y" { host[$2] = $3; nh++; next }
				$1 == "y" { nm++; e = $3 - host[$2]; if (e < 0) e = -e
					a = host[$2] < 0 ? -host[$2] : host[$2]
					if (!($2 in host) || e > 1e-6 + 1e-5 * a) bad++
					if (e > worst) worst = e }
				$1 == "stack" { stack = $2 }
				END {
					if (nh == 0 || nh != nm || bad) printf "FAIL (qemu: %d of %d outputs differ from the host)", bad + (nh != nm), nh
					else printf "qemu matches host (%d outputs, max abs diff %g) %d", nm, worst, stack
				}' "$d/host.out" "$d/m4.out")
			case "$result" in
			qemu*) stack=${result##* }; result="${result% *}, stack measured" ;;
			esac
		fi
	fi
	case "$result" in FAIL*) fail=1 ;; esac
	printf '%-10s %10d %10d %10d %10d %10d %10d  %s\n' "$n" $((text + data)) "$text" \
		$((data + bss)) "$wsz" "$stack" $((data + bss + stack)) "$result"
done
echo "flash = text (code + rodata) + data; RAM = data + bss (workspace, I/O buffers) + stack, in bytes"
exit $fail
