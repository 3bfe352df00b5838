#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause-Patent
#
#   fuzz/run.sh SECONDS
#
# Runs fuzz_trace, then fuzz_api, for SECONDS each (one at a time, one
# worker), merges what each found into a scratch directory (never into
# git), and prints libFuzzer's figures: exec/s, corpus size, coverage.
#
# Environment:
#   DXEMEM_FUZZ_BUILD    build directory (default: build-fuzz in the repo;
#                        configured with CC=clang -DDXEMEM_FUZZ=ON if new)
#   DXEMEM_FUZZ_SCRATCH  where corpora, logs and crashes go (default: a
#                        new directory under ${TMPDIR:-/tmp})
#   DXEMEM_FUZZ_TARGETS  which targets (default: "trace api")
#
# Exit status: 0 when neither target found anything, 1 when one did (its
# crash-*, leak-*, timeout-* or oom-* file is named), 2 on usage or build
# errors.
set -u

seconds=${1:-}
case $seconds in
'' | *[!0-9]*)
  echo "usage: fuzz/run.sh SECONDS" >&2
  exit 2
  ;;
esac

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${DXEMEM_FUZZ_BUILD:-$repo/build-fuzz}
scratch=${DXEMEM_FUZZ_SCRATCH:-}
if [ -z "$scratch" ]; then
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/dxemem-fuzz.XXXXXX") || exit 2
fi
targets=${DXEMEM_FUZZ_TARGETS:-trace api}

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang cmake -S "$repo" -B "$build" -DDXEMEM_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$scratch/configure.log" 2>&1 || {
    cat "$scratch/configure.log" >&2
    exit 2
  }
fi
build_targets=
for t in $targets; do
  build_targets="$build_targets fuzz_$t"
done
# shellcheck disable=SC2086 # one word per target
cmake --build "$build" --target $build_targets >"$scratch/build.log" 2>&1 || {
  cat "$scratch/build.log" >&2
  exit 2
}

# Inputs longer than these are cut when read: traces run line by line and
# the seeds stay below 48 KiB; api records are 16 bytes, 255 of them.
max_len_trace=49152
max_len_api=4084

found=0
for t in $targets; do
  binary=$build/fuzz/fuzz_$t
  work=$scratch/$t
  mkdir -p "$work/new" "$work/merged" "$work/artifacts"
  eval "max_len=\$max_len_$t"
  echo "== fuzz_$t for ${seconds}s (scratch: $work)"
  # The first corpus directory receives the new inputs; the committed ones
  # after it are only read. -jobs runs the fuzzer in a child whose log
  # (fuzz-0.log in the working directory) is copied to our stderr.
  (cd "$work" && "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -jobs=1 -workers=1 -timeout=30 -max_len="$max_len" \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/new" "$repo/fuzz/corpus/$t" "$repo/fuzz/regressions/$t") \
    >"$work/fuzz.log" 2>&1
  # Keep the smallest set of inputs that covers the same features.
  (cd "$work" && "$binary" -merge=1 -rss_limit_mb=2048 -max_len="$max_len" \
    "$work/merged" "$repo/fuzz/corpus/$t" "$work/new") \
    >"$work/merge.log" 2>&1

  status_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' \
    "$work/fuzz.log" | tail -n 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log")
  added=$(sed -n 's/^stat::new_units_added: *//p' "$work/fuzz.log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/fuzz.log")
  merged=$(find "$work/merged" -type f | wc -l)
  echo "   last status:  $status_line"
  echo "   executions:   ${execs:-?} at ${rate:-?} exec/s, peak rss ${rss:-?} MB"
  echo "   corpus:       ${added:-?} new inputs; merged corpus $merged files" \
    "in $work/merged"
  grep -E '^MERGE-OUTER: [0-9]+ new files' "$work/merge.log" | sed 's/^/   /'
  # Findings are the four kinds above; a slow-unit-* file only says an
  # input took long on a busy machine, so it is named but fails nothing.
  for artifact in "$work"/artifacts/*; do
    [ -e "$artifact" ] || continue
    case ${artifact##*/} in
    crash-* | leak-* | timeout-* | oom-*)
      echo "   FOUND:        $artifact"
      found=1
      ;;
    *) echo "   note:         $artifact (not a finding)" ;;
    esac
  done
done
exit $found
