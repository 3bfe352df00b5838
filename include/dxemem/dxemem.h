/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * dxemem: the edk2 DXE core page allocator (MdeModulePkg/Core/Dxe/Mem/Page.c,
 * edk2-stable202605, RELEASE, no heap guard, no memory profile, no GCD map)
 * as a freestanding library over a caller-provided fake physical region.
 *
 * Contract with the caller (the only "platform" dxemem needs):
 *  - The caller provides the instance storage (dxemem_instance_size() bytes,
 *    8-byte aligned) and the host memory that backs the physical region
 *    [region_base, region_base + region_size). dxemem never touches host
 *    memory outside those two.
 *  - Every call takes the instance first. Instances are independent; there
 *    is no global state. One instance may be shared by threads only when the
 *    config provides lock/unlock callbacks (they play edk2's gMemoryLock).
 *  - The instance storage must not overlap the region's host memory
 *    (dxemem_create: DXEMEM_INVALID_PARAMETER).
 *  - A call into an instance from one of its own event, visit or assert
 *    callbacks is refused with DXEMEM_ACCESS_DENIED and changes nothing
 *    (dxemem_get_map_key answers 0, dxemem_destroy does nothing; the
 *    one-word getters answer as usual). Without lock callbacks the same
 *    check (one atomic exchange at entry) refuses a second thread that
 *    calls while another is inside, instead of letting it corrupt the map;
 *    sharing an instance that way is still a caller bug, but it ends in a
 *    status, never a hang. Lock and unlock callbacks must not call back
 *    into their instance: they run before the instance is claimed and
 *    after it is released, so such a call is serialized by the caller's
 *    own (recursive) lock like any other, or deadlocks in it.
 *  - Bad caller input gets a status, never an abort. Where edk2 defines a
 *    status, dxemem returns the same one. Where edk2 RELEASE has undefined
 *    behaviour, dxemem returns the documented status below and leaves the map
 *    consistent:
 *      DXEMEM_OUT_OF_RESOURCES  a map entry is needed and no page is left to
 *                               refuel the entry pool (edk2 loops forever), or
 *                               the map stack would overflow; the operation
 *                               (or, for multi-entry frees, the piece that
 *                               failed) is rolled back. Under the heap
 *                               guard also: a search that needs a promotion
 *                               of freed pages edk2 could never finish (it
 *                               loops or recurses for ever); a guard hazard
 *                               says which (see "heap guard" below).
 *      DXEMEM_ACCESS_DENIED     a free would release a page that holds the
 *                               allocator's own map entries (edk2 frees it
 *                               and later corrupts its list); pieces before
 *                               that page stay freed, as with EFI_NOT_FOUND.
 *      DXEMEM_VOLUME_CORRUPTED  the allocator's entries in the region were
 *                               overwritten by someone else; nothing is
 *                               changed and dxemem_last_corruption() names
 *                               the address.
 */
#ifndef DXEMEM_DXEMEM_H
#define DXEMEM_DXEMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dxemem/uefi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DXEMEM_VERSION_STRING "0.1.0"

typedef struct dxemem dxemem;

/* What dxemem reports through the event callback (edk2's DEBUG_PAGE view). */
typedef enum dxemem_event_kind {
  DXEMEM_EVENT_ADD_RANGE = 1,     /* CoreAddRange(type, start, end, attribute) */
  DXEMEM_EVENT_CONVERT_TYPE,      /* CoreConvertPagesEx piece to a new type */
  DXEMEM_EVENT_CONVERT_ATTRIBUTE, /* CoreConvertPagesEx piece to new attributes */
  DXEMEM_EVENT_REFUEL,            /* AllocateMemoryMapEntry took a page (start) */
  DXEMEM_EVENT_STACK_PUSH,        /* an entry went onto the map stack (depth after) */
  DXEMEM_EVENT_STACK_POP,         /* an entry left the map stack (depth after) */
  DXEMEM_EVENT_HAZARD,            /* edk2 did something no caller can want:
                                     hazard names what, start-end where */
  /* Pool.c (DEBUG_POOL view); type is the pool's type, [start, end] the
   * bytes concerned. */
  DXEMEM_EVENT_POOL_PAGES,        /* CoreAllocatePoolPagesI took pool pages */
  DXEMEM_EVENT_POOL_CARVE,        /* a free block carved into a bucket list */
  DXEMEM_EVENT_POOL_REUSE,        /* a free block taken off a bucket list */
  DXEMEM_EVENT_POOL_PAGE_RETURN,  /* CoreFreePoolPagesI gave pool pages back */
  DXEMEM_EVENT_GUARD_SET,         /* heap guard: [start, end] guarded (type) */
  DXEMEM_EVENT_GUARD_FREED        /* heap guard: freed [start, end] recorded */
} dxemem_event_kind;

/* ---- hazards ------------------------------------------------------------
 * Where the reference itself does something a caller cannot want, dxemem
 * does the same (results stay faithful) and says so: a DXEMEM_EVENT_HAZARD
 * event (kind in event->hazard, the pages in start..end), a per-kind count
 * (dxemem_get_hazard_count) and, in the CLI, a `LINE: warning:` line.
 * docs/architecture.md lists each with its edk2 function. New kinds are
 * only ever added at the end, below DXEMEM_HAZARD_KIND_LIMIT. */
typedef enum dxemem_hazard_kind {
  DXEMEM_HAZARD_ANY = 0,            /* for dxemem_get_hazard_count: all */
  DXEMEM_HAZARD_FREES_UNOWNED = 1,  /* bin set-up frees pages it never got */
  DXEMEM_HAZARD_BIN_LEAKED = 2,     /* bin set-up leaves a bin allocated */
  DXEMEM_HAZARD_OVERLAPPING_ADD = 3, /* an add overlaps memory in the map
                                       (or pages the freed-memory guard
                                       holds out of it) */
  DXEMEM_HAZARD_POOL_OVERLAP = 4,   /* a pool size whose arithmetic wraps:
                                       edk2's buffer would overlap live
                                       memory; dxemem refuses it and reports
                                       start = end = the size */
  DXEMEM_HAZARD_POOL_DOUBLE_FREE = 5, /* a page-path pool buffer freed again:
                                       edk2 says success; dxemem refuses */
  /* Heap guard (HeapGuard.c); where edk2 never returns, dxemem returns
   * EFI_OUT_OF_RESOURCES for the search that needed the promotion. */
  DXEMEM_HAZARD_GUARD_NOTHING_TO_PROMOTE = 6, /* PromoteGuardedFreePages
                                                 would loop for ever */
  DXEMEM_HAZARD_GUARD_PROMOTION_REENTERED = 7, /* ... would recurse for ever */
  DXEMEM_HAZARD_GUARD_TABLE_ALLOCATION = 8, /* a bitmap table would be
                                               written at address 0 */
  DXEMEM_HAZARD_GUARD_ALIASED_BIT = 9, /* a free was judged guarded by the
                                          bit of a page one span lower */
  DXEMEM_HAZARD_FREES_POOL_PAGE = 10, /* FreePages of pages that hold free
                                         pool blocks: the pool lists now
                                         point into free memory */
  DXEMEM_HAZARD_POOL_STALE_FREE = 11, /* a page-path pool buffer freed
                                         again after its page went to
                                         another owner: edk2 frees the new
                                         owner's pages */
  DXEMEM_HAZARD_KIND_LIMIT = 16     /* kinds stay below this */
} dxemem_hazard_kind;

typedef struct dxemem_event {
  dxemem_event_kind kind;
  uint32_t type;       /* memory type (new type for conversions) */
  uint64_t start;
  uint64_t end;        /* last byte */
  uint64_t attribute;
  uint32_t depth;      /* map stack depth, for push/pop */
  bool merged_away;    /* pop: the entry had been merged away, nothing moved */
  /* Recursion depth: 0 for the work of the service called, n + 1 for the
   * work a refuel at depth n does (AllocateMemoryMapEntry ->
   * CoreAllocatePoolPages -> CoreConvertPages while the outer map stack is
   * still open). */
  uint32_t recursion;
  /* The edk2 function that acts ("CoreAddRange", "CoreConvertPagesEx",
   * "AllocateMemoryMapEntry", "CoreFreeMemoryMapStack", ...); never NULL. */
  const char *function;
  /* pop: the refuel-page entry that received the stack entry (0 when it
   * was merged away); refuel: the page (same as start). */
  uint64_t entry_address;
  dxemem_hazard_kind hazard; /* DXEMEM_EVENT_HAZARD: which one */
} dxemem_event;

/* ---- references -------------------------------------------------------
 * The edk2 version an instance behaves like. They differ only in how the
 * memory type bins are set up and counted (docs/architecture.md, "Two
 * references"); everything else is the same code. */
typedef enum dxemem_reference {
  /* edk2-stable202605: bins allocated one by one in Page.c. */
  DXEMEM_REFERENCE_EDK2_STABLE202605 = 0,
  /* edk2 master c5aa7e7d94 (2026-08-06): one contiguous block for all bins,
   * MdeModulePkg/Core/Dxe/Mem/MemoryBin.c. */
  DXEMEM_REFERENCE_EDK2_MASTER_2026_08 = 1,
  DXEMEM_REFERENCE_COUNT
} dxemem_reference;

/* "edk2-stable202605", "edk2-master-2026-08"; NULL for an unknown value. */
const char *dxemem_reference_name(uint32_t reference);
/* The reference with that name; false (and *out untouched) if none. */
bool dxemem_reference_from_name(const char *name, uint32_t *out);
/* The reference an instance models (DXEMEM_REFERENCE_COUNT if d is bad). */
uint32_t dxemem_get_reference(const dxemem *d);
/* How much of the allocator's own structures a call verifies before it
 * trusts them (docs/speed.md, "Check levels"). */
typedef enum dxemem_check_level {
  /* Default: the entries a call reads or relinks (the one found, its list
   * neighbours, merge partners, the free-list head) are checked
   * (signature, seal, links) before use. A scribble there is reported with
   * its address and the call changes nothing; a scribble elsewhere is
   * found by the first call that touches it, or by dxemem_check(). */
  DXEMEM_CHECK_TOUCHED = 0,
  /* Every call first walks both lists and checks every entry, and the
   * index against the list: O(n) per call. Test fixtures, --verify and the
   * fuzzers use it. The list path always verifies at this level. */
  DXEMEM_CHECK_FULL = 1
} dxemem_check_level;

typedef struct dxemem_config {
  uint64_t region_base;      /* physical base, page aligned (0 allowed) */
  uint64_t region_size;      /* bytes, page multiple, > 0, base+size <= 2^64 */
  void *region_host;         /* host memory backing the region, 8-byte aligned */
  uint64_t runtime_granularity; /* 4096 (X64) or 65536 (AArch64); 0 = 4096 */
  /* Optional callbacks; all take user_context. */
  void *user_context;
  void (*lock)(void *user_context);
  void (*unlock)(void *user_context);
  void (*event)(void *user_context, const dxemem_event *event);
  /* Called with a message when check_every_call finds a broken invariant. */
  void (*assert_failed)(void *user_context, const char *message);
  /* Debug level: run dxemem_check() after every state-changing call. */
  bool check_every_call;
  /* Which edk2 the instance models (dxemem_reference); 0 is the default,
   * DXEMEM_REFERENCE_EDK2_STABLE202605. */
  uint32_t reference;
  /* The CPU architectural protocol's SetMemoryAttributes, called by the
   * heap guard (attributes EFI_MEMORY_RP to set a guard or guard freed
   * pages, 0 to clear one). Optional: the map never depends on it. */
  void (*set_memory_attributes)(void *cpu_context, uint64_t base,
                                uint64_t length, uint64_t attributes);
  void *cpu_context;
  /* ---- speed: the address-ordered index and the check level ----------
   * With index storage (dxemem_index_size bytes, 8-byte aligned, caller
   * memory that dxemem owns until destroy) every call is O(log n) in the
   * map entries; without it, or with list_path, dxemem runs edk2's plain
   * list walks (the reference implementation: same results, O(n)). */
  void *index_storage;
  size_t index_storage_size;
  bool list_path;
  dxemem_check_level check_level;
  /* Which kinds reach `event`: bit (1u << kind) for each kind wanted, 0 for
   * every kind. An event no one wants is not even built (a few per call). */
  uint32_t event_kinds;
} dxemem_config;

/* The event_kinds bit of one kind. */
#define DXEMEM_EVENT_BIT(kind) (UINT32_C(1) << (kind))

/* Bytes of index storage for a map of up to max_entries pool entries:
 * DXEMEM_INDEX_BYTES_PER_ENTRY per entry, in blocks of 64 (one refuel page),
 * plus DXEMEM_INDEX_BYTES_PER_PAGE per refuel page. Past that many entries
 * the instance drops its index and goes on with the list walks. */
#define DXEMEM_INDEX_BYTES_PER_ENTRY 32u
#define DXEMEM_INDEX_BYTES_PER_PAGE 24u
size_t dxemem_index_size(uint64_t max_entries);
/* Entries a region can ever need: one per 4 KiB page plus the map stack
 * and two refuel pages of slack (every non-empty entry covers a page). */
uint64_t dxemem_index_entries_for_region(uint64_t region_size);
/* True while the instance answers through its index. */
bool dxemem_index_active(const dxemem *d);

/* ---- lifetime ---------------------------------------------------------- */

/* Bytes of instance storage dxemem_create needs. */
size_t dxemem_instance_size(void);

/* Compile-time bounds for placing an instance statically:
 *   static _Alignas(DXEMEM_INSTANCE_ALIGN)
 *       unsigned char storage[DXEMEM_INSTANCE_SIZE_MAX];
 * always holds one. dxemem_instance_size() <= DXEMEM_INSTANCE_SIZE_MAX in
 * every build of this version (a static assertion in the core). */
#define DXEMEM_INSTANCE_SIZE_MAX 65536u
#define DXEMEM_INSTANCE_ALIGN 8u

/* Builds an instance in storage. The region memory is not touched until
 * pages of it are used. */
dxemem_status dxemem_create(void *storage, size_t storage_size,
                            const dxemem_config *config, dxemem **out);

/* Ends the instance (invalidates it; storage and region belong to the
 * caller). */
void dxemem_destroy(dxemem *d);

/* Setup, before the first dxemem_add_memory_descriptor (else
 * DXEMEM_ALREADY_STARTED): RUNTIME_PAGE_ALLOCATION_GRANULARITY. */
dxemem_status dxemem_set_runtime_granularity(dxemem *d, uint64_t bytes);

/* Setup, before the first add: the Memory Type Information HOB. Slots
 * 0..count-1 take entries, slot count becomes {DXEMEM_MAX_MEMORY_TYPE, 0},
 * later slots keep their defaults. count <= 16. */
dxemem_status dxemem_set_memory_type_information(
    dxemem *d, const dxemem_memory_type_information *entries, size_t count);

/* CoreSetMemoryTypeInformationRange: place the bins inside [start,
 * start+length) instead of allocating them at the first add. Returns
 * DXEMEM_ALREADY_STARTED when the bins are set already and
 * DXEMEM_BAD_BUFFER_SIZE when they do not fit (both: nothing changes, as
 * edk2 ignores the call). */
dxemem_status dxemem_set_memory_type_information_range(dxemem *d,
                                                       uint64_t start,
                                                       uint64_t length);

/* ---- the DXE services -------------------------------------------------- */

/* CoreAddMemoryDescriptor. The range must lie inside the region
 * (DXEMEM_INVALID_PARAMETER otherwise, nothing changes). An unaligned start
 * or a type in [16, 0x70000000) is ignored as edk2 ignores it and reported
 * as DXEMEM_INVALID_PARAMETER. */
dxemem_status dxemem_add_memory_descriptor(dxemem *d, uint32_t type,
                                           uint64_t start, uint64_t pages,
                                           uint64_t attribute);

/* CoreAllocatePages. *memory is the input address for MAX_ADDRESS and
 * ADDRESS and receives the base on success. */
dxemem_status dxemem_allocate_pages(dxemem *d, uint32_t allocate_type,
                                    uint32_t memory_type, uint64_t pages,
                                    uint64_t *memory);

/* CoreFreePages. */
dxemem_status dxemem_free_pages(dxemem *d, uint64_t memory, uint64_t pages);

/* CoreUpdateMemoryAttributes (edk2 drops the status; dxemem returns it). */
dxemem_status dxemem_update_memory_attributes(dxemem *d, uint64_t start,
                                              uint64_t pages,
                                              uint64_t attributes);

/* CoreGetMemoryMap. map_size in/out; map may be NULL only to ask the size.
 * Descriptors are descriptor_size bytes apart (DXEMEM_NEXT_DESCRIPTOR). */
dxemem_status dxemem_get_memory_map(dxemem *d, uint64_t *map_size,
                                    dxemem_memory_descriptor *map,
                                    uint64_t *map_key,
                                    uint64_t *descriptor_size,
                                    uint32_t *descriptor_version);

/* CoreTerminateMemoryMap. */
dxemem_status dxemem_terminate_memory_map(dxemem *d, uint64_t map_key);

/* CoreAllocatePoolPages / CoreFreePoolPages: the pool's page source
 * (alignment in bytes, a power of two >= 4096). */
dxemem_status dxemem_allocate_pool_pages(dxemem *d, uint32_t pool_type,
                                         uint64_t pages, uint64_t alignment,
                                         uint64_t *memory);
dxemem_status dxemem_free_pool_pages(dxemem *d, uint64_t memory,
                                     uint64_t pages);

/* ---- pool (Pool.c) ----------------------------------------------------- */
/* The pool keeps its POOL_HEAD, POOL_TAIL, free-list links and the POOL
 * headers of OEM/OS pools in pool pages of the region, where edk2 keeps
 * them. Where edk2 RELEASE has undefined behaviour, dxemem returns:
 *   DXEMEM_INVALID_PARAMETER  free of a buffer whose POOL_HEAD (the 24 bytes
 *                             before it) or POOL_TAIL lies outside the
 *                             region, or in free memory (a second free of
 *                             a buffer that took pages of its own: edk2
 *                             returns EFI_SUCCESS and subtracts Used again);
 *                             a free of an OEM/OS pool's own POOL header.
 *                             Nothing changes.
 *   DXEMEM_OUT_OF_RESOURCES   a size whose header and tail overhead or page
 *                             count wraps (above 2^64 - 4136, or 2^64 - 65576
 *                             for 64 KiB runtime pools); nothing changes.
 *   DXEMEM_VOLUME_CORRUPTED   a free-list link, free block or OEM/OS POOL
 *                             header the operation would follow was
 *                             overwritten; dxemem_last_corruption() names it.
 */

/* CoreAllocatePool: *buffer = physical address of the buffer (0 on error). */
dxemem_status dxemem_allocate_pool(dxemem *d, uint32_t pool_type,
                                   uint64_t size, uint64_t *buffer);
/* CoreInternalFreePool: pool_type (optional) receives the buffer's type. */
dxemem_status dxemem_free_pool(dxemem *d, uint64_t buffer,
                               uint32_t *pool_type);
/* Used of mPoolHead[pool_type] (types 0..15) or of an OEM/OS pool that
 * exists (DXEMEM_NOT_FOUND otherwise; DXEMEM_INVALID_PARAMETER for
 * 16..0x6fffffff). */
dxemem_status dxemem_get_pool_used(const dxemem *d, uint32_t pool_type,
                                   uint64_t *used);
/* The index-th OEM/OS pool in mPoolHeadList order (newest first);
 * DXEMEM_NOT_FOUND past the last one. */
dxemem_status dxemem_get_oem_pool(const dxemem *d, size_t index,
                                  uint32_t *pool_type, uint64_t *used);

/* ---- heap guard (HeapGuard.c) ------------------------------------------ */
/*
 * Setup, before the first add (else DXEMEM_ALREADY_STARTED): the three
 * PCDs. property is PcdHeapGuardPropertyMask (BIT0 page guard, BIT1 pool
 * guard, BIT4 freed-memory guard, BIT7 pool buffer against the head guard;
 * the other bits change nothing here); page_types and pool_types are
 * PcdHeapGuardPageType / PcdHeapGuardPoolType (bit n = type n < 16, bit 62
 * every OEM type, bit 63 every OS type). BIT0 or BIT1 together with BIT4
 * is DXEMEM_INVALID_PARAMETER: edk2 dead-loops on it when the CPU protocol
 * arrives. Under 64 KiB runtime granularity types 0, 5, 6 and 10 are never
 * guarded whatever the masks say (edk2 refuses such masks at build time;
 * its run-time code just skips them).
 */
#define DXEMEM_GUARD_PAGE UINT8_C(0x01)
#define DXEMEM_GUARD_POOL UINT8_C(0x02)
#define DXEMEM_GUARD_FREED UINT8_C(0x10)
#define DXEMEM_GUARD_POOL_AT_HEAD UINT8_C(0x80)
dxemem_status dxemem_set_heap_guard(dxemem *d, uint8_t property,
                                    uint64_t page_types, uint64_t pool_types);

/* What the guard bitmap says about one page. */
typedef enum dxemem_guard_page_kind {
  DXEMEM_GUARD_KIND_NONE = 0,
  DXEMEM_GUARD_KIND_HEAD,    /* head guard of the allocation above it */
  DXEMEM_GUARD_KIND_TAIL,    /* tail guard of the allocation below it */
  DXEMEM_GUARD_KIND_GUARDED, /* a page of a live guarded allocation */
  DXEMEM_GUARD_KIND_FREED    /* freed memory kept out of use (BIT4) */
} dxemem_guard_page_kind;

typedef struct dxemem_guard_page_info {
  bool is_guard_page;     /* IsGuardPage */
  bool is_memory_guarded; /* IsMemoryGuarded */
  dxemem_guard_page_kind kind;
  /* The guarded allocation (or freed run) the page belongs to or guards:
   * its pages as the bitmap has them (at most 64 pages are looked at on
   * either side), and the map type there. A guard shared by two
   * allocations is reported as the lower one's tail guard. */
  uint64_t start;
  uint64_t pages;
  uint32_t type;
} dxemem_guard_page_info;

/* IsGuardPage / IsMemoryGuarded of the page holding address, and what it
 * guards. Read-only. Like edk2's lookups, an address above the span the
 * bitmap tables cover reads the bit of a lower page. */
dxemem_status dxemem_guard_page_query(dxemem *d, uint64_t address,
                                      dxemem_guard_page_info *out);


/* ---- read access ------------------------------------------------------- */

/* One row of mMemoryTypeStatistics. */
typedef struct dxemem_type_statistics {
  uint64_t base_address;
  uint64_t maximum_address;
  uint64_t current_number_of_pages;
  uint64_t number_of_pages;       /* the bin size */
  uint64_t information_index;
  bool special;
  bool runtime;
} dxemem_type_statistics;

/* type 0..16 (16 is the terminator row). */
dxemem_status dxemem_get_type_statistics(const dxemem *d, uint32_t type,
                                         dxemem_type_statistics *out);
/* mDefaultBaseAddress / mDefaultMaximumAddress. */
dxemem_status dxemem_get_default_range(const dxemem *d, uint64_t *base,
                                       uint64_t *maximum);
/* gMemoryTypeInformation[index], index 0..16. */
dxemem_status dxemem_get_memory_type_information(
    const dxemem *d, size_t index, dxemem_memory_type_information *out);
uint64_t dxemem_get_map_key(const dxemem *d);
uint64_t dxemem_get_runtime_granularity(const dxemem *d);
bool dxemem_bins_initialized(const dxemem *d);

/* One gMemoryMap entry as the allocator keeps it. */
typedef struct dxemem_entry_info {
  uint64_t start;
  uint64_t end;          /* last byte (start - 1 for a 0-page entry) */
  uint64_t attribute;
  uint32_t type;
  bool from_pages;       /* lives in a refuel page (false: on the map stack) */
  uint64_t entry_address; /* physical address of the entry (0 on the stack) */
} dxemem_entry_info;

/* Calls visit for each entry in list order; stops early when visit returns
 * false. Returns DXEMEM_VOLUME_CORRUPTED when the list is damaged. visit
 * must not call into the same instance. */
dxemem_status dxemem_for_each_entry(dxemem *d,
                                    bool (*visit)(void *ctx,
                                                  const dxemem_entry_info *e),
                                    void *ctx);

/* Counts: entries in gMemoryMap, on the free entry list, refuel pages. */
typedef struct dxemem_counts {
  uint64_t map_entries;
  uint64_t free_entries;
  uint64_t refuel_pages;
  uint64_t stack_depth;
} dxemem_counts;
dxemem_status dxemem_get_counts(const dxemem *d, dxemem_counts *out);

/* Host view of physical memory: NULL unless [phys, phys+length) lies inside
 * the region (length 0 allowed at the region's end). */
void *dxemem_phys_to_host(const dxemem *d, uint64_t phys, uint64_t length);
/* Physical address of a host pointer inside the region; false if outside. */
bool dxemem_host_to_phys(const dxemem *d, const void *host, uint64_t *phys);

/* ---- robustness -------------------------------------------------------- */

typedef enum dxemem_violation_kind {
  DXEMEM_VIOLATION_NONE = 0,
  DXEMEM_VIOLATION_CORRUPT_ENTRY,    /* signature, seal or link broken */
  DXEMEM_VIOLATION_UNSORTED,         /* list not sorted by start */
  DXEMEM_VIOLATION_OVERLAP,          /* two entries overlap */
  DXEMEM_VIOLATION_UNMERGED,         /* touching entries of equal type+attr */
  DXEMEM_VIOLATION_OUTSIDE_REGION,   /* an entry outside the region */
  DXEMEM_VIOLATION_ENTRY_ACCOUNTING, /* live + free != 64 x refuel pages */
  DXEMEM_VIOLATION_STACK_NOT_EMPTY,  /* map stack not empty between calls */
  DXEMEM_VIOLATION_STATISTICS,       /* CurrentNumberOfPages disagree */
  DXEMEM_VIOLATION_KEY_DECREASED,    /* the map key went down */
  DXEMEM_VIOLATION_REFUEL_PAGE,      /* an entry page is not BootServicesData */
  DXEMEM_VIOLATION_POOL              /* a pool list, block or POOL header broken */
} dxemem_violation_kind;

typedef struct dxemem_violation {
  dxemem_violation_kind kind;
  uint64_t address;      /* the entry or range concerned */
  char message[160];     /* one line, no newline */
} dxemem_violation;

/* Invariant checker: DXEMEM_SUCCESS, or DXEMEM_VOLUME_CORRUPTED with the
 * first violation described in *out (out may be NULL). It changes nothing
 * in the map; it remembers the map key it saw, to check that keys only
 * grow. */
dxemem_status dxemem_check(dxemem *d, dxemem_violation *out);

/* The address of the last corrupted entry a call detected (0 if none). */
uint64_t dxemem_last_corruption(const dxemem *d);

/* How many hazards of kind the instance raised so far (DXEMEM_HAZARD_ANY:
 * of all kinds; 0 for an unknown kind or a bad instance). */
uint64_t dxemem_get_hazard_count(const dxemem *d, dxemem_hazard_kind kind);

/* The last hazard raised: false if none. Any pointer may be NULL. */
bool dxemem_last_hazard(const dxemem *d, dxemem_hazard_kind *kind,
                        uint64_t *start, uint64_t *end);

/* ---- names ------------------------------------------------------------- */

/* "EFI_SUCCESS", "EFI_NOT_FOUND", ...; NULL for codes without a name. */
const char *dxemem_status_name(dxemem_status status);
/* "EfiReservedMemoryType" ... "EfiMaxMemoryType" for 0..16; NULL above. */
const char *dxemem_memory_type_name(uint32_t type);
/* The other way: the type whose name is the length bytes at text (no NUL
 * needed); false (and *type untouched) for any other text. */
bool dxemem_memory_type_from_name(const char *text, size_t length,
                                  uint32_t *type);
/* A short sentence naming a hazard ("bin set-up frees pages it does not
 * own", ...); NULL for DXEMEM_HAZARD_ANY and unknown kinds. */
const char *dxemem_hazard_name(dxemem_hazard_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* DXEMEM_DXEMEM_H */
