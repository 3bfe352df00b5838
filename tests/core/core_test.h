/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Shared fixture and helpers of the core unit tests.
 *
 * Every test gets a fresh instance over its own aligned host buffer from
 * fx_setup (nothing added yet, so a test can still set bins or the
 * granularity) and fx_teardown asserts that dxemem_check() is green, unless
 * the test broke the invariants on purpose (fx->broken).
 *
 * The default region is physical [FX_BASE, FX_TOP), 256 pages. After the
 * usual first add (fx_add_all: the whole region as EfiConventionalMemory,
 * attribute 0) the map is
 *
 *   0x100000                                  0x1ff000  0x200000
 *   |------------- conventional, 255 pages --------|-BSD-|
 *                                                   ^ refuel page (64 entries)
 *
 * Expected maps are written as tables of {type, start, pages, attribute}
 * and compared with EXPECT_MAP, which prints both maps on a mismatch.
 */
#ifndef DXEMEM_TESTS_CORE_TEST_H
#define DXEMEM_TESTS_CORE_TEST_H

/* cmocka 1.1 needs these four before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>

#include "dxemem/dxemem.h"

#define FX_BASE UINT64_C(0x100000)
#define FX_SIZE UINT64_C(0x100000)
#define FX_TOP (FX_BASE + FX_SIZE)
#define FX_PAGES (FX_SIZE >> 12)
#define FX_REFUEL (FX_TOP - 0x1000) /* the first refuel page after fx_add_all  \
                                     */
#define PG(n) ((uint64_t)(n) << 12) /* pages to bytes */

#define T_RESERVED DXEMEM_RESERVED_MEMORY_TYPE
#define T_LC DXEMEM_LOADER_CODE
#define T_LD DXEMEM_LOADER_DATA
#define T_BSC DXEMEM_BOOT_SERVICES_CODE
#define T_BSD DXEMEM_BOOT_SERVICES_DATA
#define T_RTC DXEMEM_RUNTIME_SERVICES_CODE
#define T_RTD DXEMEM_RUNTIME_SERVICES_DATA
#define T_CONV DXEMEM_CONVENTIONAL_MEMORY
#define T_ACPI DXEMEM_ACPI_RECLAIM_MEMORY
#define T_NVS DXEMEM_ACPI_MEMORY_NVS
#define T_MMIO DXEMEM_MEMORY_MAPPED_IO

#define FX_EVENT_LOG 512

typedef struct core_fixture {
  dxemem *d;
  dxemem_config config;
  void *storage;
  void *host;
  void *index; /* index storage; NULL on the list path */
  /* The test broke invariants on purpose: teardown skips the checker. */
  bool broken;
  /* Event log (config.event points here when fx_log_events was called). */
  dxemem_event events[FX_EVENT_LOG];
  size_t event_count;
  /* Lock bookkeeping (fx_count_locks). */
  int lock_depth;
  int lock_calls;
  int unlock_calls;
  bool lock_nested; /* a lock was taken while already held */
} core_fixture;

/* cmocka fixture: the default region, nothing added. The instance runs
 * dxemem_check() after every call (config.check_every_call) and a broken
 * invariant fails the test at that call; teardown checks once more. */
int fx_setup(void **state);
int fx_teardown(void **state);

/* Replaces the fixture's instance by a new one over [base, base + size)
 * with the given granularity (0 = default) and the callbacks already set
 * in fx->config. */
void fx_rebuild(core_fixture *fx, uint64_t base, uint64_t size,
                uint64_t granularity);
/* Makes the instance record its events into fx->events (rebuilds it). */
void fx_log_events(core_fixture *fx);
void fx_clear_events(core_fixture *fx);
/* Makes the instance call counting lock/unlock callbacks (rebuilds it). */
void fx_count_locks(core_fixture *fx);

/* Calls that must succeed. */
void fx_add(core_fixture *fx, uint32_t type, uint64_t start, uint64_t pages,
            uint64_t attribute);
void fx_add_all(core_fixture *fx); /* the whole region, conventional */
uint64_t fx_alloc(core_fixture *fx, uint32_t allocate_type, uint32_t type,
                  uint64_t pages, uint64_t address);
void fx_free(core_fixture *fx, uint64_t address, uint64_t pages);
void fx_bins(core_fixture *fx, const dxemem_memory_type_information *bins,
             size_t count);

/* dxemem_check() must report nothing. */
void fx_assert_green(core_fixture *fx);
/* dxemem_check() must report this kind; returns the violation. */
dxemem_violation fx_assert_violation(core_fixture *fx,
                                     dxemem_violation_kind kind);

/* ---- the allocator's map as a table ------------------------------------ */

typedef struct exp_entry {
  uint32_t type;
  uint64_t start;
  uint64_t pages;
  uint64_t attribute;
} exp_entry;

#define FX_MAX_ENTRIES 512

typedef struct map_view {
  size_t count;
  dxemem_entry_info e[FX_MAX_ENTRIES];
} map_view;

void fx_read_map(dxemem *d, map_view *out);
void fx_expect_map(dxemem *d, const exp_entry *want, size_t n, const char *file,
                   int line);
#define EXPECT_MAP(d, ...)                                                     \
  fx_expect_map((d), (const exp_entry[]){__VA_ARGS__},                         \
                sizeof((const exp_entry[]){__VA_ARGS__}) / sizeof(exp_entry),  \
                __FILE__, __LINE__)

/* ---- GetMemoryMap as a table ------------------------------------------- */

#define FX_MAX_DESCRIPTORS 512

typedef struct descriptor_view {
  size_t count;
  uint64_t key;
  dxemem_memory_descriptor m[FX_MAX_DESCRIPTORS];
} descriptor_view;

/* The two-call form: size query, then a buffer of exactly that size. */
void fx_get_memory_map(dxemem *d, descriptor_view *out);
void fx_expect_descriptors(dxemem *d, const exp_entry *want, size_t n,
                           const char *file, int line);
#define EXPECT_DESCRIPTORS(d, ...)                                             \
  fx_expect_descriptors((d), (const exp_entry[]){__VA_ARGS__},                 \
                        sizeof((const exp_entry[]){__VA_ARGS__}) /             \
                            sizeof(exp_entry),                                 \
                        __FILE__, __LINE__)

/* ---- whole state snapshots --------------------------------------------- */

typedef struct state_snapshot {
  map_view map;
  uint64_t key;
  dxemem_counts counts;
  dxemem_type_statistics stats[DXEMEM_MAX_MEMORY_TYPE + 1];
  dxemem_memory_type_information info[DXEMEM_MAX_MEMORY_TYPE + 1];
  uint64_t default_base;
  uint64_t default_max;
  bool bins_initialized;
} state_snapshot;

void fx_snapshot(dxemem *d, state_snapshot *out);
/* Fails (printing the first difference) unless both states are the same. */
void fx_expect_same_state(const state_snapshot *before,
                          const state_snapshot *after, const char *file,
                          int line);
#define EXPECT_SAME_STATE(a, b)                                                \
  fx_expect_same_state((a), (b), __FILE__, __LINE__)

/* Small readers. */
dxemem_type_statistics fx_stats(dxemem *d, uint32_t type);
dxemem_counts fx_counts(dxemem *d);
dxemem_memory_type_information fx_slot(core_fixture *fx, size_t index);

/* ---- the bins (test_bins.c, test_bins_master.c) ------------------------ */

/* type's mMemoryTypeStatistics row is this bin (base, maximum, pages,
 * InformationIndex) with no page of it in use. */
void fx_expect_bin(core_fixture *fx, uint32_t type, uint64_t base,
                   uint64_t max, uint64_t pages, uint64_t index);
void fx_expect_default_range(core_fixture *fx, uint64_t base, uint64_t max);

/* Allocates 1-page blocks top-down, alternating EfiLoaderCode and
 * EfiLoaderData so that none merges, until the free entry list is empty.
 * Returns how many it allocated. */
size_t fx_use_up_free_entries(core_fixture *fx);

#endif /* DXEMEM_TESTS_CORE_TEST_H */
