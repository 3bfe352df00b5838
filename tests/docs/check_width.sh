#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause-Patent
#
#   check_width.sh DXEMEM TRACE...
#
# The readable output of every example fits in 100 columns: `replay
# --events --verify`, the plain view, `--format shell` and `boots` of each
# trace, stdout and stderr alike.
set -u
dxemem=$1
shift
failed=0
for trace in "$@"; do
  for mode in "replay --events --verify" "replay" "replay --format shell" \
              "boots --default-settings"; do
    # shellcheck disable=SC2086 # mode is words
    "$dxemem" $mode "$trace" 2>&1 | awk -v what="dxemem $mode $trace" '
      length($0) > 100 { printf "%s: line %d has %d columns:\n%s\n",
                                what, NR, length($0), $0; bad = 1; exit }
      END { exit bad }' || failed=1
  done
done
[ "$failed" -eq 0 ] && echo "$# traces: all readable output within 100 columns"
exit "$failed"
