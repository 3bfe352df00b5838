#!/bin/sh
# check_diff_snippet.sh TOOL DOC TRACE
#
# The fenced block between "<!-- dxemem diff TRACE: begin -->" and
# "<!-- dxemem diff TRACE: end -->" in DOC must be what `TOOL diff TRACE`
# prints (the two references differ, so diff exits 1); and the trace
# listed in DOC must be TRACE itself. Run from the source root.
set -u
tool=$1
doc=$2
trace=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/snippet.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

sed -n "/<!-- dxemem diff $(echo "$trace" | sed 's|/|\\/|g'): begin -->/,/<!-- dxemem diff .*: end -->/p" "$doc" |
  sed '1d;$d' | sed '1d;$d' >"$tmp/want"
if [ ! -s "$tmp/want" ]; then
  echo "no dxemem diff block for $trace in $doc"
  exit 1
fi
"$tool" diff "$trace" >"$tmp/got"
status=$?
if [ "$status" != 1 ]; then
  echo "dxemem diff exited $status, expected 1 (the references differ)"
  exit 1
fi
if ! cmp -s "$tmp/want" "$tmp/got"; then
  echo "the block in $doc is not what dxemem diff prints now:"
  diff "$tmp/want" "$tmp/got" | head -20
  exit 1
fi
# The listing of the trace: the first fenced block that starts with the
# trace's first line.
first=$(head -n 1 "$trace")
awk -v first="$first" '
  /^```/ { if (inside) { if (found) exit; inside = 0; next } inside = 1; start = 1; next }
  inside && start { start = 0; if ($0 == first) found = 1 }
  inside && found { print }
' "$doc" >"$tmp/listing"
if ! cmp -s "$tmp/listing" "$trace"; then
  echo "the listing of $trace in $doc differs from the file:"
  diff "$tmp/listing" "$trace" | head -20
  exit 1
fi
