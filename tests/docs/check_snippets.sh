#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause-Patent
#
#   check_snippets.sh REPO MIN_COUNT DOC...
#
# Examples in the docs must be code that is built and run. A doc marks an
# example with a line
#
#   <!-- snippet: PATH#NAME -->
#
# right before a fenced code block; the block must equal, line for line,
# the lines of REPO/PATH between its "snippet NAME begin" and "snippet NAME
# end" marker lines (or all of PATH without #NAME), with their common
# indentation removed. Fails on any difference, on a marker without a
# block or a source region, and when the docs hold fewer than MIN_COUNT
# snippets (so a lost marker cannot pass quietly).
set -u
repo=$1
min_count=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/snippets.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# Strips the common leading blanks of the non-empty lines of stdin.
dedent() {
  awk '{ lines[NR] = $0
         if ($0 ~ /[^ \t]/) { match($0, /^[ \t]*/)
           if (min == "" || RLENGTH < min) min = RLENGTH } }
       END { for (i = 1; i <= NR; i++) print substr(lines[i], min + 1) }'
}

count=0
failed=0
for doc in "$@"; do
  grep -n '^<!-- snippet: [^ ]* -->$' "$doc" >"$tmp/markers" || true
  while IFS=: read -r line marker; do
    count=$((count + 1))
    ref=$(printf '%s\n' "$marker" | sed 's/^<!-- snippet: \(.*\) -->$/\1/')
    path=${ref%%#*}
    name=
    case $ref in *'#'*) name=${ref#*#} ;; esac
    # The block: from the fence after the marker to the closing fence.
    awk -v start=$((line + 1)) '
      NR == start { if ($0 !~ /^```/) exit 3; inside = 1; next }
      inside && /^```[ \t]*$/ { found = 1; exit }
      inside { print }
      END { if (!found) exit 3 }' "$doc" >"$tmp/block" || {
      echo "$doc:$line: no fenced block after the snippet marker for $ref"
      failed=1
      continue
    }
    if [ ! -f "$repo/$path" ]; then
      echo "$doc:$line: $path does not exist"
      failed=1
      continue
    fi
    if [ -n "$name" ]; then
      awk -v name="$name" '
        index($0, "snippet " name " end") { found = 1; exit }
        inside { print }
        index($0, "snippet " name " begin") { inside = 1 }
        END { if (!found) exit 3 }' "$repo/$path" | dedent >"$tmp/source"
      if ! grep -q "snippet $name end" "$repo/$path"; then
        echo "$doc:$line: no region '$name' in $path"
        failed=1
        continue
      fi
    else
      cp "$repo/$path" "$tmp/source"
    fi
    if ! diff -u "$tmp/source" "$tmp/block" >"$tmp/diff"; then
      echo "$doc:$line: the example differs from $ref (- source, + doc):"
      cat "$tmp/diff"
      failed=1
    fi
  done <"$tmp/markers"
done
if [ "$count" -lt "$min_count" ]; then
  echo "only $count snippets in $*, expected at least $min_count"
  failed=1
fi
[ $failed = 0 ] && echo "$count snippets match their sources"
exit $failed
