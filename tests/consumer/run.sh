#!/usr/bin/env bash
# Installs doppel from BUILD_DIR into a temporary prefix, then builds two programs against the
# installed copy alone: tests/consumer with CMake (find_package(doppel)) and the same source with
# pkg-config, and runs both.   tests/consumer/run.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
src=$1 build=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in include/doppel/error.h lib/cmake/doppel/doppelConfig.cmake lib/pkgconfig/doppel.pc bin/doppel; do
    [ -e "$prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
ls "$prefix"/lib/libdoppel.so* >/dev/null
"$prefix/bin/doppel" --version

# CMake consumer.
cmake -S "$src/tests/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log"
cmake --build "$work/cmake-build" >"$work/build.log"
LD_LIBRARY_PATH="$prefix/lib" "$work/cmake-build/consumer" "$work/store-cmake"

# pkg-config consumer.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
c++ -std=c++20 "$src/tests/consumer/consumer.cpp" -o "$work/consumer-pc" $(pkg-config --cflags --libs doppel)
LD_LIBRARY_PATH="$prefix/lib" "$work/consumer-pc" "$work/store-pc"
echo "consumer: both builds ran"
