#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause-Patent
#
#   run.sh MODE DXEMEM_SOURCE DXEMEM_BUILD WORK CC [LDFLAGS]
#
# The consumer checks of CTest:
#   install         cmake --install DXEMEM_BUILD --prefix WORK/prefix
#   find-package    build find_package/ against WORK/prefix and run it
#   pkg-config      cc app.c $(pkg-config --cflags --libs dxemem), run it
#   edk2            build edk2/ (an edk2 host test with the drop-in from the
#                   installed package) against $EDK2_DIR and run it
#   subdirectory    build subdirectory/ (add_subdirectory of DXEMEM_SOURCE),
#                   require exactly its own test in its ctest, run it
# LDFLAGS go to every link (the sanitizer or coverage runtime the
# installed libraries were built with).
set -eu
mode=$1
source_dir=$2
build_dir=$3
work=$4
compiler=$5
ldflags=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
prefix=$work/prefix

case $mode in
install)
  rm -rf "$prefix"
  cmake --install "$build_dir" --prefix "$prefix"
  ;;
find-package)
  rm -rf "$work/find-package"
  cmake -S "$here/find_package" -B "$work/find-package" \
    -DCMAKE_C_COMPILER="$compiler" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_EXE_LINKER_FLAGS="$ldflags"
  cmake --build "$work/find-package"
  "$work/find-package/app"
  ;;
pkg-config)
  rm -rf "$work/pkg-config"
  mkdir -p "$work/pkg-config"
  cp "$here/app.c" "$work/pkg-config/"
  cd "$work/pkg-config"
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  # The README's command, word for word, with this build's compiler.
  cc() { "$compiler" "$@" $ldflags; }
  # snippet pkg-config begin
  cc app.c $(pkg-config --cflags --libs dxemem) -o app
  # snippet pkg-config end
  ./app
  ;;
edk2)
  # EDK2_DIR comes from the environment (CTest sets it).
  rm -rf "$work/edk2"
  cmake -S "$here/edk2" -B "$work/edk2" \
    -DCMAKE_C_COMPILER="$compiler" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_EXE_LINKER_FLAGS="$ldflags" -DEDK2_DIR="$EDK2_DIR"
  cmake --build "$work/edk2" -j2
  "$work/edk2/host_test"
  ;;
subdirectory)
  rm -rf "$work/subdirectory"
  cmake -S "$here/subdirectory" -B "$work/subdirectory" \
    -DCMAKE_C_COMPILER="$compiler" -DDXEMEM_SOURCE_DIR="$source_dir"
  cmake --build "$work/subdirectory" -j2
  listed=$(ctest --test-dir "$work/subdirectory" -N | sed -n 's/^Total Tests: //p')
  if [ "$listed" != 1 ]; then
    ctest --test-dir "$work/subdirectory" -N
    echo "the consumer's ctest lists $listed tests, expected its own 1"
    exit 1
  fi
  ctest --test-dir "$work/subdirectory" --output-on-failure
  ;;
*)
  echo "run.sh: unknown mode $mode" >&2
  exit 2
  ;;
esac
