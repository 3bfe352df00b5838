#!/bin/sh
# compare.sh TOOL TRACE EXPECTED STATUS_FILE [OPTION...]
#
# Runs `TOOL replay --check --verify [OPTION...] TRACE` (options such as
# --reference NAME) and passes when its standard
# output equals EXPECTED byte for byte and its exit status equals the number
# in STATUS_FILE (0 when that file does not exist). On a mismatch prints the
# first differing line of both outputs and the tool's standard error.
set -u
tool=$1
trace=$2
expected=$3
status_file=$4
shift 4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/conformance.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

want_status=0
if [ -f "$status_file" ]; then
  want_status=$(tr -d ' \t\r\n' <"$status_file")
fi
"$tool" replay --check --verify "$@" "$trace" >"$tmp/out" 2>"$tmp/err"
status=$?

fail=0
if ! cmp -s "$tmp/out" "$expected"; then
  fail=1
  # cmp names the first differing line; when one output is a prefix of
  # the other it reports EOF instead, and the line is the one after the
  # shorter output's end
  line=$(cmp "$tmp/out" "$expected" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p')
  if [ -z "$line" ]; then
    got=$(wc -l <"$tmp/out")
    want=$(wc -l <"$expected")
    line=$(( (got < want ? got : want) + 1 ))
  fi
  echo "output differs at line $line"
  echo "  expected: $(sed -n "${line}p" "$expected")"
  echo "  actual:   $(sed -n "${line}p" "$tmp/out")"
fi
if [ "$status" != "$want_status" ]; then
  fail=1
  echo "exit status $status, expected $want_status"
fi
if [ $fail != 0 ] && [ -s "$tmp/err" ]; then
  echo "standard error:"
  head -n 5 "$tmp/err"
fi
exit $fail
