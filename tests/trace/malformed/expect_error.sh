#!/bin/sh
# expect_error.sh TOOL file TRACE    -- a malformed trace kept as a file
# expect_error.sh TOOL GENERATOR     -- one made on the fly (see below)
#
# Runs `TOOL replay --check` on the trace and passes when the tool exits
# with status 2, its standard error starts with "N: error: " for the
# expected line N, and its standard output has nothing for line N.
# File traces name N in a "# expect-error-line: N" comment.
set -u
tool=$1
kind=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/malformed.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

region='region 0x100000 0x100000'
case $kind in
file)
  trace=$3
  line=$(sed -n 's/^# expect-error-line: *\([0-9][0-9]*\).*/\1/p' "$trace" | head -n 1)
  if [ -z "$line" ]; then
    echo "$trace has no '# expect-error-line: N' comment"
    exit 1
  fi
  "$tool" replay --check "$trace" >"$tmp/out" 2>"$tmp/err"
  status=$?
  ;;
huge-line)
  # a 1 GiB line: the reader must stop at its line cap, not buffer it
  line=2
  { echo "$region"; head -c 1073741824 /dev/zero | tr '\0' x; } |
    "$tool" replay --check - >"$tmp/out" 2>"$tmp/err"
  status=$?
  ;;
nul-bytes)
  line=3
  printf '%s\nmap # NUL in a comment is fine: \000\nst\000ats\n' "$region" |
    "$tool" replay --check - >"$tmp/out" 2>"$tmp/err"
  status=$?
  ;;
many-names)
  # more distinct names than the table holds (2^21, TRACE_NAMES_MAX): the
  # alloc binding name 2^21 + 1 (line 2 + 2097153) is refused. Of the 2^21
  # lines of output only line N's matter (there must be none), so they
  # are filtered as they come instead of written out.
  line=2097155
  awk 'BEGIN {
         print "region 0x100000 0x230000000"
         print "add EfiConventionalMemory 0x100000 0x22ff00"
         for (i = 0; i < 2100000; i++)
           printf "alloc any EfiBootServicesData 1 @n%d\n", i
       }' | {
    "$tool" replay --check - 2>"$tmp/err"
    echo $? >"$tmp/status"
  } | grep "^$line " >"$tmp/out"
  status=$(cat "$tmp/status")
  ;;
long-names)
  # 255-character names: 32 MiB of name text holds 131072 of them
  line=131075
  awk 'BEGIN {
         pad = "n"
         while (length(pad) < 240) pad = pad "n"
         print "region 0x100000 0x20100000"
         print "add EfiConventionalMemory 0x100000 0x20100"
         for (i = 0; i < 140000; i++)
           printf "alloc any EfiBootServicesData 1 @%s%015d\n", pad, i
       }' | "$tool" replay --check - >"$tmp/out" 2>"$tmp/err"
  status=$?
  ;;
*)
  echo "unknown generator '$kind'"
  exit 1
  ;;
esac

fail=0
if [ "$status" != 2 ]; then
  echo "exit status $status, expected 2"
  fail=1
fi
first=$(head -n 1 "$tmp/err")
case $first in
"$line: error: "*) ;;
*)
  echo "standard error starts with '$first', expected '$line: error: ...'"
  fail=1
  ;;
esac
if grep -q "^$line " "$tmp/out"; then
  echo "standard output has a line for $line: $(grep "^$line " "$tmp/out" | head -n 1)"
  fail=1
fi
[ $fail = 0 ] && echo "ok: $first"
exit $fail
