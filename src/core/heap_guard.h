/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The heap guard (MdeModulePkg/Core/Dxe/Mem/HeapGuard.c, edk2-stable202605)
 * inside the core: its state (edk2's mGuardedMemoryMap, mMapLevel,
 * mLastPromotedPage and the three PCDs) and the functions Page.c, Pool.c
 * and GetMemoryMap call. Split along HeapGuard.c's sections:
 *   heap_guard_bitmap.c  the guard bitmap and its tables (SetBits ...
 *                        FindGuardedMemoryMap, IsGuardPage, IsMemoryGuarded)
 *   heap_guard.c         configuration, the page and pool guard
 *                        (AdjustMemoryS/A/F, SetGuardForMemory, ...)
 *   heap_guard_freed.c   the freed-memory guard (GuardFreedPages,
 *                        MergeGuardPages, PromoteGuardedFreePages) and the
 *                        GCD model that promotion asks for attributes.
 *
 * The CPU architectural protocol is present from the start (dxemem models
 * no boot phase before it), so guard pages are set as allocations are made
 * and HeapGuardCpuArchProtocolNotify never runs. SetMemoryAttributes goes
 * to the config's set_memory_attributes callback; nothing in the map
 * depends on what that callback does. mOnGuarding is never true while an
 * allocation runs (the callback cannot allocate), so it is not modelled.
 */
#ifndef DXEMEM_CORE_HEAP_GUARD_H
#define DXEMEM_CORE_HEAP_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "dxemem/dxemem.h"

/* PcdHeapGuardPropertyMask bits. */
#define GUARD_HEAP_TYPE_PAGE UINT8_C(0x01)
#define GUARD_HEAP_TYPE_POOL UINT8_C(0x02)
#define GUARD_HEAP_TYPE_FREED UINT8_C(0x10)
#define GUARD_HEAP_POOL_AT_HEAD UINT8_C(0x80) /* BIT7: pool head by the head guard */

#define GUARD_TABLE_DEPTH 5u
#define GUARD_ENTRY_BITS 64u /* pages per bitmap word */
#define GUARD_UNIT_BITS 65536u /* pages per 2-page leaf table (256 MiB) */
#define GCD_RECORDS 64u

/* One `add` as the GCD memory space map would hold it (the promotion's
 * CoreGetMemorySpaceDescriptor lookup). end is the last byte. */
typedef struct gcd_record {
  uint64_t start;
  uint64_t end;
  uint64_t capabilities;
} gcd_record;

typedef struct heap_guard {
  uint8_t property;    /* PcdHeapGuardPropertyMask */
  uint64_t page_types; /* PcdHeapGuardPageType */
  uint64_t pool_types; /* PcdHeapGuardPoolType */
  uint64_t map;        /* mGuardedMemoryMap: physical address of the top table */
  uint32_t map_level;  /* mMapLevel, 1..5 */
  uint64_t last_promoted_page; /* mLastPromotedPage */
  bool promoting;      /* dxemem: PromoteGuardedFreePages is running */
  /* The GCD model: the latest adds, oldest first. */
  uint32_t gcd_count;
  gcd_record gcd[GCD_RECORDS];
} heap_guard;

struct dxemem;

/* ---- heap_guard.c ------------------------------------------------------ */
void dx_guard_init(struct dxemem *d);
bool dx_is_heap_guard_enabled(const struct dxemem *d, uint8_t guard_type);
bool dx_is_page_type_to_guard(const struct dxemem *d, uint32_t memory_type,
                              uint32_t allocate_type);
bool dx_is_pool_type_to_guard(const struct dxemem *d, uint32_t memory_type);
void dx_set_guard_page(struct dxemem *d, uint64_t base);
void dx_unset_guard_page(struct dxemem *d, uint64_t base);
void dx_set_guard_for_memory(struct dxemem *d, uint64_t memory,
                             uint64_t pages);
void dx_unset_guard_for_memory(struct dxemem *d, uint64_t memory,
                               uint64_t pages);
uint64_t dx_adjust_memory_s(struct dxemem *d, uint64_t *start, uint64_t size,
                            uint64_t *size_requested);
void dx_adjust_memory_a(struct dxemem *d, uint64_t *memory, uint64_t *pages);
void dx_adjust_memory_f(struct dxemem *d, uint64_t *memory, uint64_t *pages);
uint64_t dx_adjust_pool_head_a(const struct dxemem *d, uint64_t memory,
                               uint64_t pages, uint64_t size);
uint64_t dx_adjust_pool_head_f(const struct dxemem *d, uint64_t memory,
                               uint64_t pages, uint64_t size);
dxemem_status dx_core_convert_pages_with_guard(struct dxemem *d,
                                               uint64_t start, uint64_t pages,
                                               uint32_t new_type);

/* ---- heap_guard_bitmap.c ----------------------------------------------- */
bool dx_set_guarded_memory_bits(struct dxemem *d, uint64_t address,
                                uint64_t pages);
bool dx_clear_guarded_memory_bits(struct dxemem *d, uint64_t address,
                                  uint64_t pages);
uint64_t dx_get_guarded_memory_bits(struct dxemem *d, uint64_t address,
                                    uint64_t pages);
bool dx_is_guard_page(struct dxemem *d, uint64_t address);
bool dx_is_memory_guarded(struct dxemem *d, uint64_t address);
uint64_t dx_get_last_guarded_free_page_address(struct dxemem *d);
bool dx_guard_zero_block(struct dxemem *d, uint64_t address, uint64_t *base,
                         uint64_t *last);
/* dxemem: whether the freed-memory guard holds a page of [start, end]. */
bool dx_guard_holds_freed_pages(struct dxemem *d, uint64_t start,
                                uint64_t end);
/* The span the tables cover now: lookups above it alias (mod span). */
uint64_t dx_guard_span_shift(const struct dxemem *d);

/* ---- heap_guard_freed.c ------------------------------------------------ */
void dx_guard_freed_pages_checked(struct dxemem *d, uint64_t base,
                                  uint64_t pages);
void dx_merge_guard_pages(struct dxemem *d, dxemem_memory_descriptor *entry,
                          uint64_t max_address);
bool dx_promote_memory_resource(struct dxemem *d);
void dx_gcd_record_add(struct dxemem *d, uint64_t start, uint64_t pages,
                       uint64_t capabilities);

#endif /* DXEMEM_CORE_HEAP_GUARD_H */
