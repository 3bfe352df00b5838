#!/bin/sh
# compare_warnings.sh TOOL TRACE
#
# Replays TRACE with --check --verify and passes when the exit status is 0,
# standard output equals TRACE's .expected file (the check output, which a
# hazard must not change) and standard error equals its .stderr file (the
# `LINE: warning: ...` lines naming the hazards and their pages).
set -u
tool=$1
trace=$2
base=${trace%.trace}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hazard.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
"$tool" replay --check --verify "$trace" >"$tmp/out" 2>"$tmp/err"
status=$?
fail=0
if [ "$status" != 0 ]; then
  echo "exit status $status, expected 0"
  fail=1
fi
if ! cmp -s "$tmp/out" "$base.expected"; then
  echo "check output differs:"
  diff "$base.expected" "$tmp/out" | head -n 10
  fail=1
fi
if ! cmp -s "$tmp/err" "$base.stderr"; then
  echo "warnings differ:"
  diff "$base.stderr" "$tmp/err" | head -n 10
  fail=1
fi
exit $fail
