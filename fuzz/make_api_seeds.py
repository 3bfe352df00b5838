#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause-Patent
"""Writes the seed inputs of fuzz_api into fuzz/corpus/api/.

    python3 fuzz/make_api_seeds.py [DIRECTORY]

The layout (header, 16-byte records, op numbers, selectors) is the one
fuzz_api.c documents at its top; the helpers below name the selector values
the seeds use. Any bytes are a valid input, so a seed that drifts from the
harness still runs; it only exercises something else.
"""
import os
import struct
import sys

OPS = ["add", "alloc", "free", "attr", "map", "terminate", "pool-alloc",
       "pool-free", "set-info", "binrange", "granularity", "scribble", "read",
       "pool", "freepool"]
OP = {name: i for i, name in enumerate(OPS)}

# header flags
GRANULARITY_64K, EXPLICIT_4K, CHECK_EVERY_CALL, LOCK, EVENTS, CREATE_ERRORS = (
    1, 2, 4, 8, 16, 32)
REFERENCE_MASTER = 64
HEAP_GUARD = 128  # property picked by bits 3..5 of the base byte
# region_base selectors
BASE_ZERO, BASE_4K, BASE_1M, BASE_4G, BASE_TOP = 0, 1, 2, 3, 4
# memory types
BS_DATA, RT_DATA, ACPI_NVS, LOADER_DATA = 4, 6, 10, 2


def header(pages, base, flags):
    return struct.pack("<HBB", pages - 1, base, flags)


def record(op, a=0, b=0, c=0, x1=0, x2=0, y=0):
    return struct.pack("<BBBBHHQ", OP[op], a, b, c, x1, x2, y)


def add_conventional(first_page, pages):
    # a=0: page x1 of the region; b=2: x2 % (region pages + 2) pages;
    # c=0: EfiConventionalMemory with UC|WC|WT|WB.
    return record("add", a=0, b=2, c=0, x1=first_page, x2=pages)


def alloc(kind, memory_type, pages, page=0):
    # kind 0 any, 1 max, 2 addr; a>>3 == 0: the address is page x1;
    # b=0: type x2 % 16; c=0: 1 + (x2 >> 4) % 16 pages.
    return record("alloc", a=kind, b=0, c=0, x1=page,
                  x2=memory_type | ((pages - 1) << 4))


def free_live(hint=0, pool=False):
    # a=0: the live allocation found from page hint on, all its pages.
    return record("pool-free" if pool else "free", a=0, x1=hint)


def map_exact():
    return record("map", a=0)


def pool(a=0, b=0, x1=0, x2=0, y=0, c=0):
    # a: type pick (0 BootServicesData, 3 type x2 % 16, 4 runtime types,
    # 5 OEM, 6 OS); b: size pick (0 x1 % 200, 2 a bucket edge, 4 the page
    # path, 6 the size arithmetic's edges); c & 0x1f == 0x1f: NULL.
    return record("pool", a=a, b=b, c=c, x1=x1, x2=x2, y=y)


def freepool(b=0, x1=0, x2=0, y=0, c=1):
    # b: 0 a live buffer (x1 picks), 4 the one freed just before, 5 inside
    # a live buffer, 6 anywhere, 7 outside; c & 1: ask for the type.
    return record("freepool", a=0, b=b, c=c, x1=x1, x2=x2, y=y)


SEEDS = {
    # The life of a small machine: add, allocate, read the map, free.
    "basic": header(256, BASE_1M, 0)
    + add_conventional(0, 256)
    + alloc(0, BS_DATA, 4)
    + alloc(0, LOADER_DATA, 1)
    + map_exact()
    + record("terminate", a=0)
    + free_live(0)
    + map_exact()
    + alloc(2, BS_DATA, 2, page=16)
    + free_live(16),
    # 64 KiB runtime granularity, bins, the lock and the event callback.
    "runtime-64k": header(1024, BASE_4G, GRANULARITY_64K | LOCK | EVENTS)
    + record("set-info", a=3, b=1, x1=16, y=0x1234)
    + add_conventional(0, 1024)
    + alloc(0, RT_DATA, 3)
    + alloc(1, ACPI_NVS, 1, page=512)
    + record("pool-alloc", a=1, b=3, c=0, x1=2, x2=4)
    + free_live(0, pool=True)
    + record("attr", a=1, b=0, c=1, x1=0, x2=0)
    + map_exact()
    + free_live(0),
    # The same under edk2 master: one aligned block for all bins.
    "master-runtime-64k": header(1024, BASE_4G,
                                 GRANULARITY_64K | REFERENCE_MASTER | EVENTS)
    + record("set-info", a=3, b=1, x1=16, y=0x1234)
    + add_conventional(0, 1024)
    + alloc(0, RT_DATA, 3)
    + alloc(1, ACPI_NVS, 1, page=512)
    + map_exact()
    + free_live(0),
    "master-binrange": header(512, BASE_4K,
                              CHECK_EVERY_CALL | REFERENCE_MASTER)
    + record("set-info", a=4, b=1, x1=8, y=77)
    + record("binrange", a=0, b=2, x1=256)
    + add_conventional(0, 512)
    + alloc(0, ACPI_NVS, 2)
    + map_exact(),
    # Bins placed by CoreSetMemoryTypeInformationRange before the first add.
    "binrange": header(512, BASE_4K, CHECK_EVERY_CALL)
    + record("set-info", a=4, b=1, x1=8, y=77)
    + record("binrange", a=0, b=2, x1=256)
    + add_conventional(0, 512)
    + alloc(0, ACPI_NVS, 2)
    + alloc(0, RT_DATA, 2)
    + map_exact()
    + record("map", a=1)
    + record("map", a=4, y=0x123)
    + record("read", a=0, x1=3),
    # A map entry overwritten: the allocator must notice, not crash.
    "scribble": header(128, BASE_1M, EVENTS)
    + add_conventional(0, 128)
    + alloc(0, BS_DATA, 2)
    + record("scribble", a=1, b=7, x1=0, x2=8, y=0xdeadbeef)
    + alloc(0, BS_DATA, 1)
    + free_live(0)
    + map_exact()
    + record("read", a=7),
    # The top of the address space, AllocateMaxAddress and partial frees.
    "top": header(64, BASE_TOP, CHECK_EVERY_CALL | LOCK)
    + add_conventional(0, 64)
    + alloc(1, BS_DATA, 8, page=32)
    + record("free", a=2, b=0, x1=0, x2=2)
    + record("scribble", a=0, x1=40, x2=100, y=5)
    + alloc(0, LOADER_DATA, 4)
    + record("map", a=7, x1=200)
    + record("read", a=4, b=0, c=0, x1=3, x2=100),
    # Bad create arguments, setup calls in every order, reads.
    "setup": header(32, BASE_ZERO, CREATE_ERRORS | EXPLICIT_4K)
    + record("granularity", a=1)
    + record("granularity", a=2, y=12345)
    + record("set-info", a=17)
    + add_conventional(1, 31)
    + record("granularity", a=0)
    + record("set-info", a=2)
    + record("read", a=1, x1=16)
    + record("read", a=5, x1=0, x2=17)
    + record("read", a=6),
    # An add over memory already in the map: edk2 accepts it.
    "overlap": header(64, BASE_1M, 0)
    + add_conventional(0, 32)
    + alloc(0, BS_DATA, 4)
    + add_conventional(16, 32)
    + alloc(0, BS_DATA, 16)
    + map_exact()
    + free_live(0),
    # AllocatePool and FreePool: buckets, carving, reuse, the page path,
    # OEM/OS pools, statuses and misuse.
    "pool": header(256, BASE_1M, EVENTS | CHECK_EVERY_CALL)
    + add_conventional(0, 256)
    + pool(b=0, x1=24) + pool(b=0, x1=88) + pool(b=0, x1=1)
    + b"".join(pool(b=2, x1=i) for i in range(12))
    + pool(b=4, x1=3) + pool(a=5, b=0, x1=16, x2=1) + pool(a=6, b=3, x1=500)
    + pool(a=3, b=0, x1=40, x2=7) + pool(b=6, x1=2) + pool(c=0x1f)
    + freepool(b=0, x1=1) + freepool(b=4) + freepool(b=5, x1=2, y=77)
    + freepool(b=6, y=0x1234) + freepool(b=7, x2=2)
    + b"".join(freepool(b=0, x1=i) for i in range(8))
    + map_exact()
    + pool(a=5, b=0, x1=8, x2=1) + freepool(b=0, x1=0),
    # 64 KiB runtime pools: all 12 buckets and 64 KiB pool pages.
    "pool-64k": header(1024, BASE_4G, GRANULARITY_64K | LOCK | EVENTS)
    + add_conventional(0, 1024)
    + pool(a=4, b=0, x1=24, x2=2) + pool(a=4, b=2, x1=11, x2=2)
    + pool(a=4, b=2, x1=10, x2=1) + pool(a=4, b=4, x1=9000, x2=2)
    + pool(a=4, b=5, y=65536, x2=3) + pool(a=3, b=0, x1=8, x2=13)
    + b"".join(freepool(b=0, x1=i) for i in range(6))
    + map_exact(),
    # The heap guard: page guard (sharing, partial frees), pool guard with
    # the buffer at the tail guard, freed-memory guard with promotions.
    "guard-page": header(256, BASE_1M | (0 << 3), HEAP_GUARD | EVENTS)
    + add_conventional(0, 256)
    + alloc(0, BS_DATA, 2) + alloc(0, BS_DATA, 3) + alloc(0, LOADER_DATA, 1)
    + alloc(2, BS_DATA, 1, page=40) + map_exact()
    + free_live(1) + free_live(0) + map_exact(),
    "guard-pool": header(256, BASE_1M | (1 << 3), HEAP_GUARD | EVENTS)
    + add_conventional(0, 256)
    + pool(b=0, x1=24) + pool(b=2, x1=7) + pool(a=5, b=0, x1=16, x2=1)
    + freepool(b=0, x1=1) + freepool(b=0, x1=0) + map_exact(),
    "guard-freed": header(128, BASE_4G | (4 << 3), HEAP_GUARD | EVENTS)
    + add_conventional(0, 128)
    + alloc(0, BS_DATA, 8) + free_live(0) + pool(b=0, x1=24)
    + freepool(b=0, x1=0) + alloc(0, BS_DATA, 100) + alloc(0, BS_DATA, 16)
    + map_exact(),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "corpus", "api")
    os.makedirs(directory, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(directory, name + ".bin"), "wb") as out:
            out.write(data)


if __name__ == "__main__":
    main()
