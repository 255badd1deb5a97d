#!/usr/bin/env bash
# setup.sh - install what cnnc needs on Debian 12 (as root), then build it.
#
#   scripts/setup.sh [--no-build]
#
# Debian packages: the compiler toolchain, protobuf-c, Debian's onnx.proto and
# ONNX 1.12 test data, cmocka, python3-onnx/numpy (only for scripts that make
# models), the cross compilers and emulators of the aarch64 and Cortex-M4 tests, and
# Node.js + the npm package onnxruntime-node (the reference runtime,
# installed into node_modules/ of this checkout). Anything already present is
# left alone, so the script is cheap to run again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

pkgs=(build-essential cmake clang protobuf-c-compiler libprotobuf-c-dev libonnx-dev
      libonnx-testdata libcmocka-dev python3-onnx python3-numpy python3-sklearn nodejs npm
      gcc-aarch64-linux-gnu qemu-user gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# a machine may have node/npm from elsewhere; do not ask apt for them then
if command -v node >/dev/null && command -v npm >/dev/null; then
	missing=("${missing[@]/nodejs}")
	missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]:-}"
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: run as root to install Debian packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" > /dev/null
fi

if [ ! -f node_modules/onnxruntime-node/package.json ]; then
	echo "setup: installing onnxruntime-node (npm)"
	npm install --no-audit --no-fund --ignore-scripts --no-save onnxruntime-node@1.30.0 > /dev/null
fi

if [ "${1:-}" != "--no-build" ]; then
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	cmake --build build -j"$(nproc)" > /dev/null
	echo "setup: built build/cnnc"
fi
