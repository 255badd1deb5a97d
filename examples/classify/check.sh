#!/usr/bin/env bash
# check.sh - builds the classify example both ways its README shows and checks
# that every sample is classified as the digit its name says.
#
#   examples/classify/check.sh PREFIX WORK
#
# PREFIX is an installed cnnc (tests/cmake_consumer/run.sh installs one); WORK a
# scratch folder. 1. CMake: find_package(cnnc) + cnnc_add_model. 2. The plain
# command line: PREFIX/bin/cnnc, then cc. Both programs must print, for each
# samples/digitL.pgm, class L, and the same for the raw float sample.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log"
cmake --build "$work/cmake" > "$work/build.log"
mkdir -p "$work/plain"
"$prefix/bin/cnnc" "$root/models/digits.onnx" -o "$work/plain/digits.c"
${CC:-cc} -std=c99 -O2 -Wall -Wextra -Werror -I"$work/plain" -o "$work/plain/classify" \
	"$here/main.c" "$work/plain/digits.c" -lm
samples=("$here"/samples/digit*.pgm "$here"/samples/digit*.f32)
[ ${#samples[@]} -ge 10 ] || { echo "check.sh: samples missing"; exit 1; }
for prog in "$work/cmake/classify" "$work/plain/classify"; do
	"$prog" "${samples[@]}" > "$work/out.txt"
	n=0
	while read -r file _ class _ score; do
		want=$(basename "$file" | sed 's/^digit\([0-9]\).*/\1/')
		if [ "$class" != "$want" ]; then
			echo "check.sh: $prog: $file is a $want, classified as $class (score $score)"
			exit 1
		fi
		n=$((n + 1))
	done < "$work/out.txt"
	[ $n = ${#samples[@]} ] || { echo "check.sh: $prog printed $n lines for ${#samples[@]} files"; exit 1; }
done
# a file that is neither a PGM nor the right number of floats is an error
if "$work/plain/classify" "$here/README.md" > /dev/null 2>&1; then
	echo "check.sh: README.md was accepted as an image"
	exit 1
fi
echo "check.sh: PASS ($n samples, CMake and plain builds)"
