/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * bins_master.c and memory_allocation_lib.c: the bins of edk2 master
 * (MemoryBin.c, c5aa7e7d94), one test per mechanism, each beside what
 * stable202605 does where it helps to see the difference (test_bins.c has
 * stable's own tests). Every instance here is built with
 * DXEMEM_REFERENCE_EDK2_MASTER_2026_08 and checked after every call.
 */
#include "core_test.h"

#include "internal.h"

#define MASTER DXEMEM_REFERENCE_EDK2_MASTER_2026_08
#define STABLE DXEMEM_REFERENCE_EDK2_STABLE202605

static void use_reference(core_fixture *fx, uint32_t reference, uint64_t size,
                          uint64_t granularity) {
  fx->config.reference = reference;
  fx_rebuild(fx, FX_BASE, size, granularity);
  assert_int_equal(dxemem_get_reference(fx->d), reference);
}

static int master_setup(void **state) {
  int result = fx_setup(state);
  core_fixture *fx = *state;
  use_reference(fx, MASTER, FX_SIZE, 0);
  return result;
}

/* ---- the contiguous block --------------------------------------------- */

/* A bin as fx_expect_bin checks it. */
typedef struct bin_want {
  uint32_t type;
  uint64_t base, max, pages, index;
} bin_want;

/* One bin set-up at the first add of the whole region: the table (slots
 * entries), the bins it leaves (bin_count rows), the default maximum and
 * the map key. The block is freed again, so the map is always the region
 * and its first refuel page. */
typedef struct setup_case {
  uint64_t granularity; /* 0: 4 KiB */
  dxemem_memory_type_information table[3];
  size_t slots;
  bin_want bins[4];
  size_t bin_count;
  uint64_t default_max;
  uint64_t key;
} setup_case;

static void expect_setup(core_fixture *fx, const setup_case *c) {
  if (c->granularity != 0) {
    use_reference(fx, MASTER, FX_SIZE, c->granularity);
  }
  fx_bins(fx, c->table, c->slots);
  fx_add_all(fx);
  assert_true(dxemem_bins_initialized(fx->d));
  for (size_t i = 0; i < c->bin_count; i++) {
    const bin_want *b = &c->bins[i];
    fx_expect_bin(fx, b->type, b->base, b->max, b->pages, b->index);
  }
  fx_expect_default_range(fx, UINT64_MAX, c->default_max);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(dxemem_get_map_key(fx->d), c->key);
}

/*
 * One 9-page EfiBootServicesData block below the first refuel page, carved
 * top-down in table order, then freed in one call:
 *
 *   0x100000        0x1f6000  0x1f9000  0x1fb000     0x1ff000
 *   |-- default ----|-- BSC --|-- RTD --|-- ACPI ---|BSD|
 *
 * Same bins as stable here, but the key counts one allocation and one free
 * (add, refuel, block, free: 4) where stable counts a pair per bin (8).
 */
static void test_master_block_carved_top_down(void **state) {
  static const setup_case c = {
      .table = {{T_ACPI, 4}, {T_RTD, 2}, {T_BSC, 3}},
      .slots = 3,
      .bins = {{T_ACPI, 0x1fb000, 0x1fefff, 4, 0},
               {T_RTD, 0x1f9000, 0x1fafff, 2, 1},
               {T_BSC, 0x1f6000, 0x1f8fff, 3, 2},
               {T_LD, 0, 0x1f5fff, 0, 16}},
      .bin_count = 4,
      .default_max = 0x1f5fff,
      .key = 4};
  expect_setup(*state, &c);
}

/*
 * 64 KiB: the HOB's RTD 1 was read as 16 pages, so the block is 17 pages.
 * AllocateAlignedPages asks for 17 + 16, frees the 2 pages below the
 * 64 KiB boundary and the 14 above the block. Only the block is aligned;
 * the bins inside are packed with no alignment of their own:
 *
 *   0x1de000 0x1e0000 0x1e1000          0x1f1000          0x1ff000
 *   | slack  |  LD   |  RTD (16 pages)  |   slack        |BSD|
 *
 * Key: add, refuel, the 33-page block, two slack frees, the block free.
 */
static void test_master_block_aligned_to_runtime_granularity(void **state) {
  static const setup_case c = {
      .granularity = 65536,
      .table = {{T_RTD, 1}, {T_LD, 1}},
      .slots = 2,
      .bins = {{T_RTD, 0x1e1000, 0x1f0fff, 16, 0},
               {T_LD, 0x1e0000, 0x1e0fff, 1, 1}},
      .bin_count = 2,
      .default_max = 0x1dffff,
      .key = 6};
  expect_setup(*state, &c);
}

/*
 * The block does not fit in the first 1 MiB: nothing changes (no bin, no
 * lowered default maximum, the slots as read, no key), where stable keeps
 * the maximum it lowered. The next add holds it; the default maximum is
 * simply the block's base - 1.
 */
static void test_master_block_retried_at_next_add(void **state) {
  core_fixture *fx = *state;
  use_reference(fx, MASTER, 0x800000, 0);
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}, {T_NVS, 1000}};
  fx_bins(fx, bins, 2);
  fx_add(fx, T_CONV, FX_BASE, 256, 0);
  assert_false(dxemem_bins_initialized(fx->d));
  fx_expect_bin(fx, T_ACPI, 0, UINT64_MAX, 0, 16);
  fx_expect_default_range(fx, UINT64_MAX, UINT64_MAX);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 4);
  assert_int_equal(fx_slot(fx, 1).number_of_pages, 1000);
  assert_int_equal(dxemem_get_map_key(fx->d), 2);

  fx_add(fx, T_CONV, 0x200000, 0x700, 0);
  assert_true(dxemem_bins_initialized(fx->d));
  fx_expect_bin(fx, T_ACPI, 0x8fc000, 0x8fffff, 4, 0);
  fx_expect_bin(fx, T_NVS, 0x514000, 0x8fbfff, 1000, 1);
  fx_expect_default_range(fx, UINT64_MAX, 0x513fff);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0),
                   0x513000);
}

/* A type listed twice keeps its last bin, and the block is freed whole:
 * nothing leaks (stable leaks the first bin). */
static void test_master_duplicate_type_keeps_last_bin(void **state) {
  static const setup_case c = {
      .table = {{T_ACPI, 2}, {T_ACPI, 2}},
      .slots = 2,
      .bins = {{T_ACPI, 0x1fb000, 0x1fcfff, 2, 1}},
      .bin_count = 1,
      .default_max = 0x1fafff,
      .key = 4};
  expect_setup(*state, &c);
}

/* The block is EfiBootServicesData, so bins of types nobody may allocate
 * (conventional, persistent, unaccepted) are placed like any other. */
static void test_master_unallocatable_types_get_bins(void **state) {
  core_fixture *fx = *state;
  static const uint32_t types[] = {T_CONV, 14, 15};
  for (size_t i = 0; i < 3; i++) {
    use_reference(fx, MASTER, FX_SIZE, 0);
    const dxemem_memory_type_information bins[] = {{types[i], 4}};
    fx_bins(fx, bins, 1);
    fx_add_all(fx);
    assert_true(dxemem_bins_initialized(fx->d));
    fx_expect_bin(fx, types[i], 0x1fb000, 0x1fefff, 4, 0);
    fx_assert_green(fx);
  }
}

/* OEM slots count in the block's size but get no bin; their space stays
 * at the block's bottom, outside the default range. */
static void test_master_oem_slot_counts_in_block(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {
      {T_LD, 2}, {0x70000000, 3}, {T_ACPI, 0}};
  fx_bins(fx, bins, 3);
  fx_add_all(fx);
  fx_expect_bin(fx, T_LD, 0x1fd000, 0x1fefff, 2, 0);
  fx_expect_bin(fx, T_ACPI, 0, 0x1f9fff, 0, 2);
  fx_expect_default_range(fx, UINT64_MAX, 0x1f9fff);
  assert_int_equal(fx_slot(fx, 1).number_of_pages, 3);
}

/* ---- the zero-bin early return and the default table ------------------ */

/* No pages in the table: the first add marks the bins set and returns
 * before the statistics tail, so every InformationIndex stays 16 and no
 * maximum moves (stable sets them and sends maxima to the default). */
static void test_master_zero_bins_return_early(void **state) {
  core_fixture *fx = *state;
  static const setup_case c = {
      .table = {{T_ACPI, 0}, {T_LD, 0}},
      .slots = 2,
      .bins = {{T_ACPI, 0, UINT64_MAX, 0, 16}, {T_LD, 0, UINT64_MAX, 0, 16}},
      .bin_count = 2,
      .default_max = UINT64_MAX,
      .key = 2};
  expect_setup(fx, &c);
  /* Set once: the next add does not try again. */
  fx_add(fx, T_LD, FX_BASE, 0, 0);
  assert_int_equal(dxemem_get_map_key(fx->d), 3);
}

/* Master's table names EfiUnacceptedMemoryType in slot 15; stable's holds
 * the GCD value 6. */
static void test_master_default_table_corrected(void **state) {
  core_fixture *fx = *state;
  for (uint32_t i = 0; i <= DXEMEM_MAX_MEMORY_TYPE; i++) {
    assert_int_equal(fx_slot(fx, i).type, i);
    assert_int_equal(fx_slot(fx, i).number_of_pages, 0);
  }
  use_reference(fx, STABLE, FX_SIZE, 0);
  assert_int_equal(fx_slot(fx, 15).type, T_RTD);
}

/* ---- PopulateMemoryTypeInformation ------------------------------------ */

/* The HOB is rounded when it is read: runtime types up to the granularity,
 * other valid types and OEM types as given, a count that rounds past
 * 32 bits cut to 0 (and then it is a zero-bin table). */
static void test_master_hob_rounded_when_read(void **state) {
  core_fixture *fx = *state;
  use_reference(fx, MASTER, FX_SIZE, 65536);
  const dxemem_memory_type_information bins[] = {
      {T_RTD, 1}, {T_LD, 1}, {T_NVS, 17}, {0x70000000, 1}, {T_RESERVED, 0}};
  fx_bins(fx, bins, 5);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 16);
  assert_int_equal(fx_slot(fx, 1).number_of_pages, 1);
  assert_int_equal(fx_slot(fx, 2).number_of_pages, 32);
  assert_int_equal(fx_slot(fx, 3).number_of_pages, 1);
  assert_int_equal(fx_slot(fx, 4).number_of_pages, 0);
  assert_int_equal(fx_slot(fx, 5).type, DXEMEM_MAX_MEMORY_TYPE);

  const dxemem_memory_type_information huge[] = {{T_RTC, UINT32_MAX}};
  fx_bins(fx, huge, 1);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 0);
  fx_add_all(fx);
  fx_expect_bin(fx, T_RTC, 0, UINT64_MAX, 0, 16);
}

/* The granularity is a build constant in edk2: setting it after the HOB
 * reads the HOB again, in both directions. Stable copies it unrounded. */
static void test_master_hob_read_again_with_granularity(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_RTD, 1}};
  fx_bins(fx, bins, 1);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 1);
  assert_int_equal(dxemem_set_runtime_granularity(fx->d, 65536),
                   DXEMEM_SUCCESS);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 16);
  assert_int_equal(dxemem_set_runtime_granularity(fx->d, 4096),
                   DXEMEM_SUCCESS);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 1);

  use_reference(fx, STABLE, FX_SIZE, 65536);
  fx_bins(fx, bins, 1);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 1);
}

/* ---- CoreSetMemoryTypeInformationRange -------------------------------- */

/* Every slot counts in the size, OEM ones too (stable skips them), but
 * only valid types with pages are placed. */
static void test_master_binrange_counts_every_slot(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {
      {0x70000000, 2}, {T_ACPI, 0}, {T_RTD, 2}};
  fx_bins(fx, bins, 3);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x3000),
      DXEMEM_BAD_BUFFER_SIZE);
  assert_false(dxemem_bins_initialized(fx->d));
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x4000),
      DXEMEM_SUCCESS);
  fx_expect_bin(fx, T_RTD, 0x182000, 0x183fff, 2, 2);
  fx_expect_bin(fx, T_ACPI, 0, 0x181fff, 0, 1);
  fx_expect_default_range(fx, UINT64_MAX, 0x181fff);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 2);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x100000, 0x4000),
      DXEMEM_ALREADY_STARTED);
}

/* 64 KiB: an empty runtime slot still aligns the running top and its
 * padding counts; the bins themselves are packed without alignment. */
static void test_master_binrange_padding_and_packing(void **state) {
  core_fixture *fx = *state;
  use_reference(fx, MASTER, FX_SIZE, 65536);
  const dxemem_memory_type_information empty_rtc[] = {{T_LD, 1}, {T_RTC, 0}};
  fx_bins(fx, empty_rtc, 2);
  /* From 0x182000: LD to 0x181000, then 0x1000 of padding for RTC. */
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x181000, 0x1000),
      DXEMEM_BAD_BUFFER_SIZE);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x1000),
      DXEMEM_SUCCESS);
  fx_expect_bin(fx, T_LD, 0x180000, 0x180fff, 1, 0);

  use_reference(fx, MASTER, FX_SIZE, 65536);
  const dxemem_memory_type_information packed[] = {{T_LD, 1}, {T_RTD, 16}};
  fx_bins(fx, packed, 2);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x20000),
      DXEMEM_SUCCESS);
  fx_expect_bin(fx, T_LD, 0x19f000, 0x19ffff, 1, 0);
  fx_expect_bin(fx, T_RTD, 0x18f000, 0x19efff, 16, 1);
  fx_expect_default_range(fx, UINT64_MAX, 0x18efff);
}

/* ---- UpdateMemoryStatistics ------------------------------------------- */

/* Before the bins exist nothing is counted, not even the first refuel
 * page (stable counts both and writes the terminator slot). */
static void test_master_no_statistics_before_bins(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_NVS, 1000}};
  fx_bins(fx, bins, 1);
  fx_add_all(fx);
  assert_false(dxemem_bins_initialized(fx->d));
  assert_int_equal(fx_stats(fx->d, T_BSD).current_number_of_pages, 0);
  fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 2, 0);
  assert_int_equal(fx_stats(fx->d, T_LD).current_number_of_pages, 0);
  assert_int_equal(fx_slot(fx, 16).number_of_pages, 0);

  use_reference(fx, STABLE, FX_SIZE, 0);
  fx_bins(fx, bins, 1);
  fx_add_all(fx);
  fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 2, 0);
  assert_int_equal(fx_stats(fx->d, T_LD).current_number_of_pages, 2);
  assert_int_equal(fx_slot(fx, 16).number_of_pages, 2);
}

/* Once the bins exist pages are counted, but a high-water mark is only
 * written inside the table: a type whose InformationIndex is 16 counts
 * its pages and records nothing (the checker accepts that). */
static void test_master_high_water_never_past_table(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_LD, 2}};
  fx_bins(fx, bins, 1);
  fx_add_all(fx);
  uint64_t ld = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 3, 0);
  assert_int_equal(fx_stats(fx->d, T_LD).current_number_of_pages, 3);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 3);
  fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSC, 5, 0);
  assert_int_equal(fx_stats(fx->d, T_BSC).current_number_of_pages, 5);
  assert_int_equal(fx_slot(fx, 16).number_of_pages, 0);
  fx_assert_green(fx);
  fx_free(fx, ld, 3);
  assert_int_equal(fx_stats(fx->d, T_LD).current_number_of_pages, 0);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 3);
}

/* ---- AllocateAlignedPages / FreeAlignedPages --------------------------- */

/* Called directly: 0 pages and a count that wraps give nothing; a block
 * that happens to start aligned frees no slack below; too much gives
 * nothing on either path. */
static void test_master_aligned_pages(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t key = dxemem_get_map_key(fx->d);
  assert_int_equal(dx_allocate_aligned_pages(fx->d, 0, 65536), 0);
  assert_int_equal(dx_allocate_aligned_pages(fx->d, UINT64_MAX - 3, 65536), 0);
  assert_int_equal(dx_allocate_aligned_pages(fx->d, 300, 65536), 0);
  assert_int_equal(dx_allocate_aligned_pages(fx->d, 300, 4096), 0);
  assert_int_equal(dxemem_get_map_key(fx->d), key);

  /* 15 + 16 pages below 0x1ff000 start at 0x1e0000, already aligned. */
  assert_int_equal(dx_allocate_aligned_pages(fx->d, 15, 65536), 0x1e0000);
  assert_int_equal(dxemem_get_map_key(fx->d), key + 2);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 0xe0, 0}, {T_BSD, 0x1e0000, 15, 0},
             {T_CONV, 0x1ef000, 16, 0}, {T_BSD, FX_REFUEL, 1, 0});
  dx_free_aligned_pages(fx->d, 0x1e0000, 15);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});

  assert_int_equal(dx_allocate_aligned_pages(fx->d, 2, 4096), 0x1fd000);
  dx_free_aligned_pages(fx->d, 0x1fd000, 2);
}

/* ---- references side by side ------------------------------------------ */

static void test_references_side_by_side(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_ACPI, 2}, {T_ACPI, 2}};
  fx_bins(fx, bins, 2);
  fx_add_all(fx);

  core_fixture *other = NULL;
  assert_int_equal(fx_setup((void **)&other), 0);
  use_reference(other, STABLE, FX_SIZE, 0);
  fx_bins(other, bins, 2);
  fx_add_all(other);
  /* Stable leaks its first ACPI bin, master does not. */
  EXPECT_MAP(other->d, {T_CONV, 0x100000, 253, 0}, {T_ACPI, 0x1fd000, 2, 0},
             {T_BSD, FX_REFUEL, 1, 0});
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(dxemem_get_reference(fx->d), MASTER);
  assert_int_equal(dxemem_get_reference(other->d), STABLE);
  assert_int_equal(fx_teardown((void **)&other), 0);
}

static void test_reference_names_and_config(void **state) {
  core_fixture *fx = *state;
  assert_string_equal(dxemem_reference_name(STABLE), "edk2-stable202605");
  assert_string_equal(dxemem_reference_name(MASTER), "edk2-master-2026-08");
  assert_null(dxemem_reference_name(DXEMEM_REFERENCE_COUNT));
  uint32_t r = 99;
  assert_true(dxemem_reference_from_name("edk2-master-2026-08", &r));
  assert_int_equal(r, MASTER);
  assert_true(dxemem_reference_from_name("edk2-stable202605", &r));
  assert_int_equal(r, STABLE);
  assert_false(dxemem_reference_from_name("edk2-master", &r));
  assert_false(dxemem_reference_from_name("edk2-stable2026051", &r));
  assert_false(dxemem_reference_from_name(NULL, &r));
  assert_false(dxemem_reference_from_name("edk2-stable202605", NULL));
  assert_int_equal(r, STABLE);
  assert_int_equal(dxemem_get_reference(NULL), DXEMEM_REFERENCE_COUNT);

  dxemem_config config = fx->config;
  config.reference = DXEMEM_REFERENCE_COUNT;
  dxemem *d = NULL;
  assert_int_equal(
      dxemem_create(fx->storage, dxemem_instance_size(), &config, &d),
      DXEMEM_INVALID_PARAMETER);
  assert_null(d);
  /* Refused before it touched the storage: the fixture's instance lives. */
  assert_int_equal(dxemem_get_reference(fx->d), MASTER);
}

#define T(name) cmocka_unit_test_setup_teardown(name, master_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_master_block_carved_top_down),
      T(test_master_block_aligned_to_runtime_granularity),
      T(test_master_block_retried_at_next_add),
      T(test_master_duplicate_type_keeps_last_bin),
      T(test_master_unallocatable_types_get_bins),
      T(test_master_oem_slot_counts_in_block),
      T(test_master_zero_bins_return_early),
      T(test_master_default_table_corrected),
      T(test_master_hob_rounded_when_read),
      T(test_master_hob_read_again_with_granularity),
      T(test_master_binrange_counts_every_slot),
      T(test_master_binrange_padding_and_packing),
      T(test_master_no_statistics_before_bins),
      T(test_master_high_water_never_past_table),
      T(test_master_aligned_pages),
      T(test_references_side_by_side),
      T(test_reference_names_and_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
