#!/usr/bin/env bash
# Lists the symbols the core archive needs from outside itself and fails if
# any is not one of the four the freestanding contract allows.
set -euo pipefail
archive=${1:?usage: check-freestanding.sh libdxemem_core.a}
allowed='^(memcpy|memset|memmove|memcmp)$'
defined=$(nm -g --defined-only "$archive" | awk 'NF==3{print $3}' | sort -u)
needed=$(nm -u "$archive" | awk '{print $NF}' | grep -v ':$' | sort -u)
outside=$(comm -23 <(printf '%s\n' "$needed") <(printf '%s\n' "$defined") | grep -v '^$' || true)
echo "undefined outside the archive: ${outside//$'\n'/ }"
bad=$(printf '%s\n' "$outside" | grep -Ev "$allowed" | grep -v '^$' || true)
if [ -n "$bad" ]; then
  echo "error: the core needs symbols beyond memcpy/memset/memmove/memcmp: $bad" >&2
  exit 1
fi
echo "ok: freestanding"
