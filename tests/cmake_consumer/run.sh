#!/usr/bin/env bash
# run.sh - the installed CMake package, as a user sees it.
#
#   tests/cmake_consumer/run.sh BUILD_DIR PREFIX
#
# Installs cnnc from BUILD_DIR into PREFIX (cmake --install), checks the installed
# files (bin/cnnc, lib/cmake/cnnc/*, share/man/man1/cnnc.1; the man page must
# mention every option of cnnc --help and cnnc verify --help), then configures,
# builds and runs this folder's project against PREFIX: y = 2x + 1 from
# scale2.onnx, both with embedded constants and with a weights file. It then
# swaps in scale3.onnx and rebuilds (y = 3x + 1: the C was regenerated), and
# touches the installed cnnc and rebuilds (cnnc runs again).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
prefix=$2
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" > /dev/null
for f in bin/cnnc lib/cmake/cnnc/cnncConfig.cmake lib/cmake/cnnc/cnncConfigVersion.cmake \
	lib/cmake/cnnc/cnncModel.cmake lib/cmake/cnnc/cnncTargets.cmake share/man/man1/cnnc.1; do
	[ -f "$prefix/$f" ] || { echo "run.sh: $f was not installed"; exit 1; }
done
# the man page documents every option of cnnc --help and cnnc verify --help
for o in $({ "$prefix/bin/cnnc" --help; "$prefix/bin/cnnc" verify --help; } |
	grep -oE -- '(^|[ ,])--?[a-z][a-z0-9-]*' | tr -d ' ,' | sort -u); do
	grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$prefix/share/man/man1/cnnc.1" ||
		{ echo "run.sh: the man page does not mention $o"; exit 1; }
done
work=$prefix/consumer
mkdir -p "$work"
cp "$here/scale2.onnx" "$work/model.onnx"
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DMODEL="$work/model.onnx" > "$work/configure.log"

expect() { # what the program must print
	local got
	got=$("$work/build/consumer")
	if [ "$got" != "$1" ]; then
		printf 'run.sh: %s\nexpected:\n%s\ngot:\n%s\n' "$2" "$1" "$got"
		exit 1
	fi
}
regenerated() { # the build log shows cnnc ran for both models
	[ "$(grep -c 'cnnc: .* -> scalef\?\.c' "$1")" = 2 ] || { echo "run.sh: $2: cnnc did not run"; cat "$1"; exit 1; }
}
cmake --build "$work/build" > "$work/build1.log"
regenerated "$work/build1.log" "first build"
expect $'y = 3 5 7 9\nyf = 3 5 7 9' "scale2.onnx"

cmake --build "$work/build" > "$work/build2.log"
if grep -q 'cnnc: ' "$work/build2.log"; then
	echo "run.sh: a build with nothing changed ran cnnc again"
	exit 1
fi

sleep 1 # a newer timestamp than the outputs on any file system
cp "$here/scale3.onnx" "$work/model.onnx"
cmake --build "$work/build" > "$work/build3.log"
regenerated "$work/build3.log" "after the model changed"
expect $'y = 4 7 10 13\nyf = 4 7 10 13' "scale3.onnx"

sleep 1
touch "$prefix/bin/cnnc"
cmake --build "$work/build" > "$work/build4.log"
regenerated "$work/build4.log" "after cnnc changed"
echo "run.sh: PASS"
