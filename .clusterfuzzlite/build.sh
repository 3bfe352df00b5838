#!/bin/bash -eu
# SPDX-License-Identifier: BSD-2-Clause-Patent
#
# Builds the two libFuzzer targets under the OSS-Fuzz / ClusterFuzzLite
# contract: compiler and flags from $CC and $CFLAGS, the engine from
# $LIB_FUZZING_ENGINE, everything into $OUT (fuzz_api, fuzz_trace and
# their seed corpora fuzz_api_seed_corpus.zip, fuzz_trace_seed_corpus.zip).
# $SRC/dxemem is the checkout (or the directory above this script).
#
# CI runs it with the local clang:
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out .clusterfuzzlite/build.sh
here=$(cd "$(dirname "$0")/.." && pwd)
src=${SRC:+$SRC/dxemem}
src=${src:-$here}
[ -d "$src/src/core" ] || src=$here
work=$(mktemp -d "${TMPDIR:-/tmp}/dxemem-ossfuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"

inc=(-I"$src/include" -I"$src/src/core" -I"$src/src/host" -I"$src/src/trace"
     -I"$src/fuzz")
objects=()
for c in "$src"/src/core/*.c "$src"/src/host/*.c "$src"/src/trace/*.c; do
  o=$work/$(basename "$(dirname "$c")")_$(basename "$c" .c).o
  # shellcheck disable=SC2086 # CFLAGS is a list of flags
  $CC $CFLAGS -std=c11 "${inc[@]}" -c "$c" -o "$o"
  objects+=("$o")
done
ar rcs "$work/libdxemem.a" "${objects[@]}"

build_target() {
  local name=$1
  shift
  local harness=()
  for c in "$@"; do
    local o=$work/fuzz_$(basename "$c" .c).o
    # shellcheck disable=SC2086
    $CC $CFLAGS -std=c11 "${inc[@]}" -c "$src/fuzz/$c" -o "$o"
    harness+=("$o")
  done
  # shellcheck disable=SC2086 # LIB_FUZZING_ENGINE may be several words
  $CC $CFLAGS "${harness[@]}" "$work/libdxemem.a" $LIB_FUZZING_ENGINE \
    -o "$OUT/$name"
  local kind=${name#fuzz_}
  (cd "$src/fuzz/corpus/$kind" &&
   python3 -m zipfile -c "$OUT/${name}_seed_corpus.zip" ./*)
}

api_sources=(fuzz_api.c fail.c)
for extra in "$src"/fuzz/fuzz_api_*.c; do
  api_sources+=("$(basename "$extra")")
done
build_target fuzz_api "${api_sources[@]}"
build_target fuzz_trace fuzz_trace.c fail.c
