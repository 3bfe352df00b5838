#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause-Patent
#
#   check_outputs.sh DXEMEM MIN_COUNT DOC...
#
# Output shown in the docs must be what the tool prints now. A doc marks a
# block with a line
#
#   <!-- output: ARGS -->            all of `dxemem ARGS`
#   <!-- output: ARGS | line N -->   only trace line N's command, its events
#                                    and its result (readable view)
#
# right before a fenced code block; the block must equal that output line
# for line. Run from the repository root. Also regenerates the pictures of
# every docs/mechanisms/NAME.trace (`replay --svg`) and compares them with
# docs/mechanisms/pictures/NAME/. Fails on any difference, and when the docs
# hold fewer than MIN_COUNT marked blocks.
set -u
dxemem=$1
min_count=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/outputs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

count=0
failed=0
for doc in "$@"; do
  grep -n '^<!-- output: .* -->$' "$doc" >"$tmp/markers" || true
  while IFS=: read -r line marker; do
    count=$((count + 1))
    spec=$(printf '%s\n' "$marker" | sed 's/^<!-- output: \(.*\) -->$/\1/')
    args=${spec%% | line *}
    only=
    [ "$args" != "$spec" ] && only=${spec##* | line }
    # shellcheck disable=SC2086 # ARGS are words
    "$dxemem" $args >"$tmp/out" 2>&1
    if [ -n "$only" ]; then
      awk -v n="$only" '
        /^ *[0-9]+  [a-z]/ { keep = ($1 == n) }
        keep' "$tmp/out" >"$tmp/want"
    else
      cp "$tmp/out" "$tmp/want"
    fi
    awk -v start="$line" '
      NR == start + 1 { if ($0 !~ /^```/) exit 3; inside = 1; next }
      inside && /^```/ { exit 0 }
      inside { print }' "$doc" >"$tmp/shown"
    if [ $? -ne 0 ]; then
      echo "$doc:$line: no fenced block after the marker"
      failed=1
    elif ! diff -u "$tmp/shown" "$tmp/want" >"$tmp/diff"; then
      echo "$doc:$line: the docs show other output than 'dxemem $spec':"
      cat "$tmp/diff"
      failed=1
    fi
  done <"$tmp/markers"
done

for trace in docs/mechanisms/*.trace; do
  name=$(basename "$trace" .trace)
  rm -rf "$tmp/svg"
  "$dxemem" replay --svg "$tmp/svg" "$trace" >/dev/null 2>&1
  if ! diff -r "$tmp/svg" "docs/mechanisms/pictures/$name" >/dev/null 2>&1; then
    echo "docs/mechanisms/pictures/$name differs from 'dxemem replay --svg' of $trace"
    failed=1
  fi
done

if [ "$count" -lt "$min_count" ]; then
  echo "only $count marked outputs in the docs (expected at least $min_count)"
  failed=1
fi
[ "$failed" -eq 0 ] && echo "$count doc outputs and the pictures match the tool"
exit "$failed"
