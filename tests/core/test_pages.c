/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * pages.c: every status of CoreInternalAllocatePages and
 * CoreInternalFreePages, the runtime granularity, and the pool page calls.
 *
 * Start map for most tests (fx_add_all):
 *
 *   0x100000                                   0x1ff000  0x200000
 *   |---------------- conv, 255 pages --------------|-BSD-|
 */
#include "core_test.h"

#include "internal.h"

static const uint32_t alloc_types[] = {DXEMEM_ALLOCATE_ANY_PAGES,
                                       DXEMEM_ALLOCATE_MAX_ADDRESS,
                                       DXEMEM_ALLOCATE_ADDRESS};

static dxemem_status try_alloc(core_fixture *fx, uint32_t allocate_type,
                               uint32_t type, uint64_t pages,
                               uint64_t *memory) {
  return dxemem_allocate_pages(fx->d, allocate_type, type, pages, memory);
}

/* Allocation must fail with want and change nothing, not even *memory. */
static void expect_alloc_refused(core_fixture *fx, uint32_t allocate_type,
                                 uint32_t type, uint64_t pages,
                                 uint64_t address, dxemem_status want) {
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  uint64_t memory = address;
  dxemem_status got = try_alloc(fx, allocate_type, type, pages, &memory);
  if (got != want) {
    print_error("alloc(%u, %#x, %#llx pages, %#llx) = %s\n", allocate_type,
                type, (unsigned long long)pages, (unsigned long long)address,
                dxemem_status_name(got));
  }
  assert_int_equal(got, want);
  assert_int_equal(memory, address);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

/* ---- memory types ---------------------------------------------------------
 */

/* EfiConventionalMemory, EfiPersistentMemory, EfiUnacceptedMemoryType and
 * [EfiMaxMemoryType, OEM min) cannot be allocated, with any allocate type. */
static void test_allocate_rejects_invalid_memory_types(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  static const uint32_t bad[] = {T_CONV, 14, 15, 16, 17, 0x6fffffff};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    for (size_t a = 0; a < 3; a++) {
      expect_alloc_refused(fx, alloc_types[a], bad[i], 1, 0x140000,
                           DXEMEM_INVALID_PARAMETER);
    }
  }
}

static void test_allocate_accepts_oem_and_os_types(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  static const uint32_t good[] = {0x70000000, 0x7fffffff, 0x80000000,
                                  0xffffffff};
  for (size_t i = 0; i < 4; i++) {
    uint64_t at = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, good[i], 1, 0);
    assert_int_equal(at, FX_REFUEL - PG(i + 1));
  }
  assert_int_equal(
      fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, 0x80000001, 2, 0x100000), 0x100000);
  EXPECT_MAP(fx->d, {0x80000001, 0x100000, 2, 0}, {T_CONV, 0x102000, 249, 0},
             {0xffffffff, 0x1fb000, 1, 0}, {0x80000000, 0x1fc000, 1, 0},
             {0x7fffffff, 0x1fd000, 1, 0}, {0x70000000, 0x1fe000, 1, 0},
             {T_BSD, FX_REFUEL, 1, 0});
  fx_free(fx, 0x100000, 2);
  fx_free(fx, 0x1fb000, 4);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* Every type that may be allocated works with every allocate type. */
static void test_allocate_every_valid_uefi_type(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  for (uint32_t type = 0; type < DXEMEM_MAX_MEMORY_TYPE; type++) {
    if (type == T_CONV || type == 14 || type == 15) {
      continue;
    }
    uint64_t any = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, type, 1, 0);
    uint64_t max = fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, type, 1, 0x180fff);
    uint64_t fixed =
        fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, type, 1, 0x100000 + PG(type));
    assert_true(max <= 0x180000);
    assert_int_equal(fixed, 0x100000 + PG(type));
    fx_free(fx, any, 1);
    fx_free(fx, max, 1);
    fx_free(fx, fixed, 1);
  }
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

static void test_allocate_rejects_bad_allocate_type_and_null(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  expect_alloc_refused(fx, DXEMEM_MAX_ALLOCATE_TYPE, T_LD, 1, 0,
                       DXEMEM_INVALID_PARAMETER);
  expect_alloc_refused(fx, UINT32_MAX, T_LD, 1, 0, DXEMEM_INVALID_PARAMETER);
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, NULL),
      DXEMEM_INVALID_PARAMETER);
}

/* ---- AllocateAddress -------------------------------------------------------
 */

static void test_allocate_address_unaligned(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, 0x140800,
                       DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_RTD, 1, 0x140001,
                       DXEMEM_NOT_FOUND);
}

/* Page 0 stays free (NULL detection), even when it is conventional. */
static void test_allocate_address_page_zero(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, 0, FX_SIZE, 0);
  fx_add_all(fx);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, 0,
                       DXEMEM_NOT_FOUND);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, 0x1000),
                   0x1000);
}

/* 0 pages, more than 2^52 - 1 pages, and a range whose end wraps. */
static void test_allocate_address_count_limits(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 0, 0x140000,
                       DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, UINT64_C(1) << 52,
                       0x140000, DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD,
                       (UINT64_C(1) << 52) - 1, 0x140000, DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, UINT64_MAX, 0x140000,
                       DXEMEM_NOT_FOUND);
}

/*
 * A region at the very top of the address space, added in two parts:
 *
 *   2^64 - 1 MiB     +127 +128                    2^64 - 0x4000   2^64
 *   |--- conv 127 ---|BSD|     (not added)        |-- conv 4 ---|
 */
static const uint64_t top_base = UINT64_MAX - FX_SIZE + 1;
static const uint64_t top4 = UINT64_MAX - 0x3fff;

static void add_top_of_address_space(core_fixture *fx) {
  fx_rebuild(fx, top_base, FX_SIZE, 0);
  fx_add(fx, T_CONV, top_base, 128, 0);
  fx_add(fx, T_CONV, top4, 4, 0);
}

static void test_allocate_address_wraps_past_2_64(void **state) {
  core_fixture *fx = *state;
  add_top_of_address_space(fx);
  /* Three pages from the second-to-last page run past 2^64. */
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 3,
                       UINT64_MAX - 0x1fff, DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, UINT64_MAX - 0xfff,
                       DXEMEM_NOT_FOUND);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, top4), top4);
  fx_free(fx, top4, 2);
  EXPECT_MAP(fx->d, {T_CONV, top_base, 127, 0},
             {T_BSD, top_base + PG(127), 1, 0}, {T_CONV, top4, 4, 0});
}

/*
 * edk2's conversion loop runs while start < end: after a piece that ends at
 * 2^64 - 1 the next start wraps to 0, finds no entry and returns
 * EFI_NOT_FOUND, with the piece already converted. So a range that ends at
 * the last byte is allocated (or freed) but reported as not found.
 */
static void test_last_page_of_address_space(void **state) {
  core_fixture *fx = *state;
  add_top_of_address_space(fx);
  const uint64_t last = UINT64_MAX - 0xfff;
  uint64_t memory = last;
  assert_int_equal(try_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, &memory),
                   DXEMEM_NOT_FOUND);
  assert_int_equal(memory, last);
  EXPECT_MAP(fx->d, {T_CONV, top_base, 127, 0},
             {T_BSD, top_base + PG(127), 1, 0}, {T_CONV, top4, 3, 0},
             {T_LD, last, 1, 0});
  assert_int_equal(dxemem_free_pages(fx->d, last, 1), DXEMEM_NOT_FOUND);
  EXPECT_MAP(fx->d, {T_CONV, top_base, 127, 0},
             {T_BSD, top_base + PG(127), 1, 0}, {T_CONV, top4, 4, 0});
  /* AnyPages finds the top page first and fares the same. */
  memory = 0;
  assert_int_equal(try_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &memory),
                   DXEMEM_NOT_FOUND);
  assert_int_equal(memory, 0);
  EXPECT_MAP(fx->d, {T_CONV, top_base, 127, 0},
             {T_BSD, top_base + PG(127), 1, 0}, {T_CONV, top4, 3, 0},
             {T_LD, last, 1, 0});
}

/*
 * A refuel that takes the last page of the address space. edk2's
 * CoreAllocatePoolPages converts the page (CoreConvertPagesEx then wraps to
 * 0 and returns EFI_NOT_FOUND, which CoreAllocatePoolPages ignores) and the
 * page is carved into entries, so the first add of a region that ends at
 * 2^64 succeeds with its entry page at the very top.
 *
 *   2^64 - 1 MiB                              2^64 - 0x1000    2^64
 *   |------------------ conv -----------------|---- BSD ----|
 */
static void test_first_refuel_from_last_page(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, top_base, FX_SIZE, 0);
  fx_add_all(fx);
  EXPECT_MAP(fx->d, {T_CONV, top_base, 255, 0},
             {T_BSD, UINT64_MAX - 0xfff, 1, 0});
  assert_int_equal(dxemem_get_map_key(fx->d), 2);
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.refuel_pages, 1);
  assert_int_equal(c.stack_depth, 0);
}

/* The same later on: the entries run out while the last page of the
 * address space is the highest free page. The allocation succeeds with a
 * second refuel page there and the stack is empty afterwards. */
static void test_later_refuel_from_last_page(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, top_base, FX_SIZE, 0);
  fx_add(fx, T_CONV, top_base, 128, 0);
  fx_add(fx, T_CONV, UINT64_MAX - 0xfff, 1, 0);
  uint64_t n = 0;
  while (fx_counts(fx->d).free_entries > 0) {
    (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, n % 2 ? T_LC : T_LD, 1,
                   top_base + PG(n));
    n++;
  }
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_BSC, 1, top_base + PG(n));
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.refuel_pages, 2);
  assert_int_equal(c.stack_depth, 0);
  map_view v;
  fx_read_map(fx->d, &v);
  assert_int_equal(v.e[v.count - 1].type, T_BSD);
  assert_int_equal(v.e[v.count - 1].start, UINT64_MAX - 0xfff);
}

/* AnyPages and MaxAddress with 0 pages find nothing. */
static void test_allocate_zero_pages(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 0, 0,
                       DXEMEM_OUT_OF_RESOURCES);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LD, 0, UINT64_MAX,
                       DXEMEM_OUT_OF_RESOURCES);
}

static void test_allocate_beyond_free_memory(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 256, 0,
                       DXEMEM_OUT_OF_RESOURCES);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LD, 1, 0xfffff,
                       DXEMEM_OUT_OF_RESOURCES);
  /* Allocated or unknown memory at a fixed address is not found. */
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, FX_REFUEL,
                       DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, FX_TOP,
                       DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, FX_REFUEL - 0x1000,
                       DXEMEM_NOT_FOUND);
}

/*
 * An ACPI-reclaim bin (special) at 0x1fb000..0x1fefff:
 *
 *   0x1f9000  0x1fb000          0x1ff000
 *   |  LD ok  |--- ACPI bin ---|BSD|
 *
 * AllocateAddress of another type may not start, end or span in it; the
 * bin's own type may.
 */
static void test_allocate_address_in_special_bin(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}};
  fx_bins(fx, bins, 1);
  fx_add_all(fx);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, 0x1fc000,
                       DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, 0x1fa000,
                       DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 8, 0x1f8000,
                       DXEMEM_NOT_FOUND);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_RTD, 1, 0x1fe000,
                       DXEMEM_NOT_FOUND);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, 0x1f9000),
                   0x1f9000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_ACPI, 1, 0x1fc000),
                   0x1fc000);
  /* AnyPages is not restricted: bins are preferences. */
  fx_free(fx, 0x1fc000, 1);
}

/* A bin of a type that is not special does not block anybody. */
static void test_allocate_address_in_plain_bin(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_LD, 4}};
  fx_bins(fx, bins, 1);
  fx_add_all(fx);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_ACPI, 1, 0x1fc000),
                   0x1fc000);
}

/* ---- runtime granularity --------------------------------------------------
 */

static void test_granularity_by_type(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  for (uint32_t t = 0; t < 20; t++) {
    bool runtime = t == T_RESERVED || t == T_RTC || t == T_RTD || t == T_NVS;
    assert_int_equal(dx_granularity_for_type(fx->d, t), runtime ? 65536 : 4096);
  }
  assert_int_equal(dx_granularity_for_type(fx->d, DXEMEM_OEM_RESERVED_MIN),
                   4096);
}

/*
 * 64 KiB granularity: runtime types round their count up to 16 pages and
 * align to 64 KiB, from the aligned-down end of the free range:
 *
 *   0x100000             0x1e0000  0x1f0000       0x1ff000
 *   |------ conv --------|RTD 16 |-- conv 15 ---|BSD|
 */
static void test_runtime_granularity_rounding(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  fx_add_all(fx);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTD, 1, 0),
                   0x1e0000);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 224, 0}, {T_RTD, 0x1e0000, 16, 0},
             {T_CONV, 0x1f0000, 15, 0}, {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(fx_stats(fx->d, T_RTD).current_number_of_pages, 16);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTC, 17, 0),
                   0x1c0000); /* 32 pages */
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_NVS, 1, 0),
                   0x1b0000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RESERVED, 1, 0),
                   0x1a0000);
  /* Other types keep 4 KiB. */
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0),
                   0x1fe000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, 0x101000),
                   0x101000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_RTD, 1, 0x110000),
                   0x110000);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 1, 0}, {T_LD, 0x101000, 1, 0},
             {T_CONV, 0x102000, 14, 0}, {T_RTD, 0x110000, 16, 0},
             {T_CONV, 0x120000, 128, 0}, {T_RESERVED, 0x1a0000, 16, 0},
             {T_NVS, 0x1b0000, 16, 0}, {T_RTC, 0x1c0000, 32, 0},
             {T_RTD, 0x1e0000, 16, 0}, {T_CONV, 0x1f0000, 14, 0},
             {T_LD, 0x1fe000, 1, 0}, {T_BSD, FX_REFUEL, 1, 0});
  /* AllocateAddress alignment is checked before rounding. */
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_RTD, 16, 0x131000,
                       DXEMEM_NOT_FOUND);
}

/* Rounding a count near 2^64 wraps it to 0. */
static void test_runtime_rounding_wraps(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  fx_add_all(fx);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTD, UINT64_MAX, 0,
                       DXEMEM_OUT_OF_RESOURCES);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ADDRESS, T_RTD, UINT64_MAX - 3,
                       0x140000, DXEMEM_NOT_FOUND);
}

/* 2^52 + k pages for AnyPages: the search and the conversion see k pages
 * (after the shift), the statistics the whole count; 2^52 exactly finds
 * something but cannot convert it. */
static void test_huge_counts_any_pages(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  expect_alloc_refused(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, UINT64_C(1) << 52,
                       0, DXEMEM_INVALID_PARAMETER);
  const uint64_t huge = (UINT64_C(1) << 52) + 1;
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, huge, 0),
                   0x1fe000);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 254, 0}, {T_LD, 0x1fe000, 1, 0},
             {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(fx_stats(fx->d, T_LD).current_number_of_pages, huge);
}

/* ---- free -------------------------------------------------------------------
 */

static void expect_free_refused(core_fixture *fx, uint64_t memory,
                                uint64_t pages, dxemem_status want) {
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  assert_int_equal(dxemem_free_pages(fx->d, memory, pages), want);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

static void test_free_not_found_unaligned_zero(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, 0x140000);
  expect_free_refused(fx, 0x50000, 1, DXEMEM_NOT_FOUND);
  expect_free_refused(fx, FX_TOP, 1, DXEMEM_NOT_FOUND);
  expect_free_refused(fx, 0x140800, 1, DXEMEM_INVALID_PARAMETER);
  expect_free_refused(fx, 0x140000, 0, DXEMEM_INVALID_PARAMETER);
  /* Free memory cannot be freed. */
  expect_free_refused(fx, 0x150000, 1, DXEMEM_NOT_FOUND);
  fx_free(fx, 0x140000, 2);
}

/*
 * The entry holding the address decides the alignment and the rounding:
 * with 64 KiB granularity a runtime entry needs a 64 KiB aligned address
 * and a 1-page free releases 16 pages.
 */
static void test_free_alignment_from_entry_type(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_RTD, 16, 0x140000);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, 0x151000);
  expect_free_refused(fx, 0x141000, 1, DXEMEM_INVALID_PARAMETER);
  fx_free(fx, 0x140000, 1);
  fx_free(fx, 0x151000, 1);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/*
 * Anything that is not free can be freed, whatever added it:
 *
 *   0x100000   0x110000   0x120000                 0x180000
 *   |Reserved| |MMIO   |  |OEM |                   |------ conv ----|BSD|
 */
static void test_free_added_reserved_mmio_oem(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_RESERVED, 0x100000, 4, 0);
  fx_add(fx, T_MMIO, 0x110000, 4, DXEMEM_MEMORY_UC);
  fx_add(fx, 0x70000001, 0x120000, 4, 0);
  fx_free(fx, 0x100000, 4);
  fx_free(fx, 0x110000, 4);
  fx_free(fx, 0x120000, 2);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 4, 0},
             {T_CONV, 0x110000, 4, DXEMEM_MEMORY_UC}, {T_CONV, 0x120000, 2, 0},
             {0x70000001, 0x122000, 2, 0}, {T_CONV, 0x180000, 127, 0},
             {T_BSD, FX_REFUEL, 1, 0});
  /* The freed memory is ordinary free memory now. */
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LD, 4, 0x103fff),
                   0x100000);
}

/* EfiReservedMemoryType uses the runtime granularity for frees too. */
static void test_free_reserved_with_64k_granularity(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_RESERVED, 0x100000, 32, 0);
  expect_free_refused(fx, 0x101000, 1, DXEMEM_INVALID_PARAMETER);
  fx_free(fx, 0x110000, 1);
  EXPECT_MAP(fx->d, {T_RESERVED, 0x100000, 16, 0}, {T_CONV, 0x110000, 16, 0},
             {T_CONV, 0x180000, 127, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* ---- pool pages -------------------------------------------------------------
 */

static void test_pool_pages_argument_checks(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  uint64_t memory = 0x1234;
  static const uint32_t bad_types[] = {T_CONV, 14, 15, 16, 0x6fffffff};
  for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
    assert_int_equal(
        dxemem_allocate_pool_pages(fx->d, bad_types[i], 1, 4096, &memory),
        DXEMEM_INVALID_PARAMETER);
  }
  assert_int_equal(dxemem_allocate_pool_pages(fx->d, T_BSD, 1, 4096, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_allocate_pool_pages(fx->d, T_BSD, 1, 2048, &memory),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_allocate_pool_pages(fx->d, T_BSD, 1, 0x3000, &memory),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_allocate_pool_pages(fx->d, T_BSD, 0, 4096, &memory),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_allocate_pool_pages(fx->d, T_BSD, UINT64_C(1) << 52,
                                              4096, &memory),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_allocate_pool_pages(fx->d, T_BSD, 256, 4096, &memory),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(memory, 0x1234);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

/* Pool pages follow the given alignment only: no runtime rounding. */
static void test_pool_pages_do_not_round(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  fx_add_all(fx);
  uint64_t memory = 0;
  assert_int_equal(dxemem_allocate_pool_pages(fx->d, T_RTD, 1, 4096, &memory),
                   DXEMEM_SUCCESS);
  assert_int_equal(memory, 0x1fe000);
  assert_int_equal(
      dxemem_allocate_pool_pages(fx->d, 0x80000000, 3, 4096, &memory),
      DXEMEM_SUCCESS);
  assert_int_equal(memory, 0x1fb000);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 251, 0}, {0x80000000, 0x1fb000, 3, 0},
             {T_RTD, 0x1fe000, 1, 0}, {T_BSD, FX_REFUEL, 1, 0});
  /* CoreFreePoolPages does not round either (the entry's type would). */
  assert_int_equal(dxemem_free_pool_pages(fx->d, 0x1fe000, 1), DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pool_pages(fx->d, 0x1fb000, 3), DXEMEM_SUCCESS);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_allocate_rejects_invalid_memory_types),
      T(test_allocate_accepts_oem_and_os_types),
      T(test_allocate_every_valid_uefi_type),
      T(test_allocate_rejects_bad_allocate_type_and_null),
      T(test_allocate_address_unaligned),
      T(test_allocate_address_page_zero),
      T(test_allocate_address_count_limits),
      T(test_allocate_address_wraps_past_2_64),
      T(test_last_page_of_address_space),
      T(test_first_refuel_from_last_page),
      T(test_later_refuel_from_last_page),
      T(test_allocate_zero_pages),
      T(test_allocate_beyond_free_memory),
      T(test_allocate_address_in_special_bin),
      T(test_allocate_address_in_plain_bin),
      T(test_granularity_by_type),
      T(test_runtime_granularity_rounding),
      T(test_runtime_rounding_wraps),
      T(test_huge_counts_any_pages),
      T(test_free_not_found_unaligned_zero),
      T(test_free_alignment_from_entry_type),
      T(test_free_added_reserved_mmio_oem),
      T(test_free_reserved_with_64k_granularity),
      T(test_pool_pages_argument_checks),
      T(test_pool_pages_do_not_round),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
