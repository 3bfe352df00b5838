#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause-Patent
"""Writes a trace that keeps LIVE allocations alive (default 1,000,000):
LIVE one-page allocations of alternating types (so none merge and the map
holds about LIVE entries), each bound to a @name, then every other one freed
by name and allocated again, then the statistics. For timing the replay of
big maps (README, "Speed"); it is not a conformance trace.

    tools/make-live-trace.py [LIVE] > live.trace
"""
import sys


def main():
    live = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    pages = live + live // 32 + 4096
    out = sys.stdout
    w = out.write
    w("# dxemem trace v1 -- tools/make-live-trace.py %d\n" % live)
    w("region 0x100000 0x%x\n" % (pages * 4096))
    w("add EfiConventionalMemory 0x100000 0x%x\n" % pages)
    types = ("EfiLoaderData", "EfiBootServicesData")
    for i in range(live):
        w("alloc any %s 1 @a%d\n" % (types[i & 1], i))
    for i in range(0, live, 2):
        w("free @a%d\n" % i)
        w("alloc any %s 1 @a%d\n" % (types[i & 1], i))
    w("stats\n")


if __name__ == "__main__":
    main()
